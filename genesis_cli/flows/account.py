"""``genesis account``: who is signed in, the balance, subscription windows and daily quotas.

Each part is best effort: the requests run at once, in threads, and the whole answer is
ready within one ``GENESIS_HTTP_TIMEOUT`` (plus a little) even when an endpoint hangs. What
could not be read is listed in ``problems``; answers are untrusted and checked field by field.
"""

from __future__ import annotations

import datetime
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from genesis_cli import http
from genesis_cli.coerce import finite_number
from genesis_cli.errors import NetworkError
from genesis_cli.providers import Provider
from genesis_cli.text import one_line

TEE_SENTENCE = "TEE models need an active subscription or a positive balance"
MAX_QUOTAS = 20
_CHUTE_ID = re.compile(r"(\*|[A-Za-z0-9._-]{1,128})\Z")
_MIN_SECONDS_LEFT = 0.2


@dataclass
class Account:
    username: str | None = None
    balance: float | None = None
    subscription: dict[str, Any] | None = None
    subscribed: bool | None = None  # None: could not tell
    quotas: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    refused: int = 0  # answers of 401/403
    answered: int = 0  # answers genesis could read
    oauth: bool = False  # read with an OAuth token (whose scopes may not allow it)

    @property
    def tee_ready(self) -> bool | None:
        """False when the account can run no TEE model (no subscription, balance <= 0)."""
        if self.subscribed is True or (self.balance is not None and self.balance > 0):
            return True
        if self.subscribed is False and self.balance is not None:
            return False
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "balance": self.balance,
            "subscription": self.subscription,
            "quotas": self.quotas,
            "teeReady": self.tee_ready,
            "problems": self.problems,
        }


def _fetch_all(
    provider: Provider, paths: list[str], secret: str, deadline: float
) -> dict[str, http.Response | NetworkError]:
    """GET each path under the management API at once; each ends by ``deadline``."""
    base = provider.api_base_url()
    results: dict[str, http.Response | NetworkError] = {}
    lock = threading.Lock()

    def one(path: str) -> None:
        try:
            outcome: http.Response | NetworkError = http.request(
                "GET",
                f"{base}{path}",
                headers={"Authorization": f"Bearer {secret}"},
                timeout=max(deadline - time.monotonic(), 0.05),
                max_bytes=1024 * 1024,
            )
        except NetworkError as exc:
            outcome = exc
        with lock:
            results[path] = outcome

    threads = [threading.Thread(target=one, args=(p,), daemon=True) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0) + 0.5)
    return results


def _body(
    provider: Provider,
    account: Account,
    what: str,
    outcome: http.Response | NetworkError | None,
    secret: str,
) -> Any:
    """The JSON of a good answer, else ``None`` with the reason added to ``problems``."""
    if outcome is None:
        account.problems.append(f"{what}: no answer in time")
        return None
    if isinstance(outcome, NetworkError):
        account.problems.append(f"{what}: {outcome.message}")
        return None
    if outcome.status in (401, 403):
        account.refused += 1
        detail = provider.redact(outcome.detail(), (secret,), 120)
        why = (
            "an OAuth token needs the account:read or profile scope to read the account"
            if account.oauth
            else "the API key was refused"
        )
        account.problems.append(f"{what}: HTTP {outcome.status} ({detail}); {why}")
        return None
    if outcome.status != 200:
        account.problems.append(f"{what}: HTTP {outcome.status}")
        return None
    try:
        body = outcome.json()
    except ValueError:
        account.problems.append(f"{what}: the answer is not JSON")
        return None
    account.answered += 1
    return body


def _window(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    if value.get("uncapped") is True:
        return {"uncapped": True}
    reset = value.get("reset_at")
    return {
        "usage": finite_number(value.get("usage")),
        "cap": finite_number(value.get("cap")),
        "remaining": finite_number(value.get("remaining")),
        "resetAt": one_line(reset)[:40] if isinstance(reset, str) else None,
    }


def _next_midnight_utc() -> str:
    today = datetime.datetime.now(datetime.UTC).date()
    midnight = datetime.datetime.combine(
        today + datetime.timedelta(days=1), datetime.time(), datetime.UTC
    )
    return midnight.strftime("%Y-%m-%dT%H:%M:%SZ")


def read_account(
    provider: Provider, secret: str, timeout: float | None = None, *, oauth: bool = False
) -> Account:
    """Everything ``genesis account`` shows, read with ``secret`` (an API key, or with
    ``oauth`` an access token)."""
    total = http.http_timeout() if timeout is None else timeout
    deadline = time.monotonic() + total
    account = Account(oauth=oauth)
    first = _fetch_all(
        provider,
        ["/users/me", "/users/me/subscription_usage", "/users/me/quotas"],
        secret,
        deadline,
    )
    me = _body(provider, account, "account", first.get("/users/me"), secret)
    if isinstance(me, dict):
        name = me.get("username")
        account.username = one_line(name)[:100] if isinstance(name, str) else None
        balance = finite_number(me.get("balance"))
        account.balance = float(balance) if balance is not None else None
    usage = _body(
        provider, account, "subscription", first.get("/users/me/subscription_usage"), secret
    )
    if isinstance(usage, dict) and isinstance(usage.get("subscription"), bool):
        account.subscribed = usage["subscription"]
        if usage["subscription"]:
            price = finite_number(usage.get("monthly_price"))
            account.subscription = {
                "monthlyPrice": price,
                "fourHour": _window(usage.get("four_hour")),
                "monthly": _window(usage.get("monthly")),
            }
    quotas = _body(provider, account, "quotas", first.get("/users/me/quotas"), secret)
    chutes_ids: list[tuple[str, int | float | None]] = []
    for item in quotas if isinstance(quotas, list) else []:
        chute_id = item.get("chute_id") if isinstance(item, dict) else None
        if isinstance(chute_id, str) and _CHUTE_ID.match(chute_id):
            chutes_ids.append((chute_id, finite_number(item.get("quota"))))
    chutes_ids = chutes_ids[:MAX_QUOTAS]
    if chutes_ids and deadline - time.monotonic() < _MIN_SECONDS_LEFT:
        account.problems.append("quota use: no time left to ask")
        chutes_ids = []
    paths = {c: f"/users/me/quota_usage/{quote(c, safe='')}" for c, _ in chutes_ids}
    used = _fetch_all(provider, list(paths.values()), secret, deadline) if paths else {}
    for chute_id, quota in chutes_ids:
        body = _body(
            provider, account, f"quota use of {chute_id}", used.get(paths[chute_id]), secret
        )
        entry = {"chuteId": chute_id, "quota": quota, "used": None, "resetsAt": None}
        if isinstance(body, dict):
            entry["quota"] = finite_number(body.get("quota")) or quota
            entry["used"] = finite_number(body.get("used"))
        entry["resetsAt"] = _next_midnight_utc()  # Chutes resets daily quotas at 00:00 UTC
        account.quotas.append(entry)
    return account
