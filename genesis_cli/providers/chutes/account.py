"""Chutes' account API (``/users/me...``): user, balance, subscription windows, daily quotas.
Each part is best effort, all asked at once and answered within one ``GENESIS_HTTP_TIMEOUT``
(plus a little); what could not be read is in ``problems``. Answers are checked field by field.
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
from genesis_cli.errors import AuthError, GenesisError, NetworkError, ProviderError
from genesis_cli.providers import Provider
from genesis_cli.text import one_line

TEE_SENTENCE = "TEE models need an active subscription or a positive balance"
MAX_QUOTAS = 20
_CHUTE_ID = re.compile(r"(\*|[A-Za-z0-9._-]{1,128})\Z")
_MIN_SECONDS_LEFT = 0.2

Outcome = http.Response | NetworkError | None  # None: no answer in time


@dataclass
class Account:
    json_keys = ("username", "balance", "subscription", "quotas", "tee_ready", "problems")

    username: str | None = None
    balance: float | None = None
    subscription: dict[str, Any] | None = None
    subscribed: bool | None = None  # None: could not tell
    quotas: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    refused: int = 0  # answers of 401/403
    bad_answers: int = 0  # other answers genesis could not use (404, 5xx, not JSON)
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


def _fetch_all(
    provider: Provider, paths: list[str], secret: str, deadline: float
) -> dict[str, Outcome]:
    """GET each path under the management API at once, by ``deadline``."""
    base = provider.api_base_url()
    results: dict[str, Outcome] = {}

    def one(path: str) -> None:
        try:
            results[path] = http.request(
                "GET",
                f"{base}{path}",
                headers={"Authorization": f"Bearer {secret}"},
                timeout=max(deadline - time.monotonic(), 0.05),
                max_bytes=1 << 20,
            )
        except NetworkError as exc:
            results[path] = exc

    threads = [threading.Thread(target=one, args=(p,), daemon=True) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0) + 0.5)
    return dict(results)  # a copy: a late answer changes nothing read here


def _body(provider: Provider, account: Account, what: str, outcome: Outcome, secret: str) -> Any:
    """The JSON of a good answer, else ``None`` with the reason added to ``problems``."""
    if outcome is None:
        problem = "no answer in time"
    elif isinstance(outcome, NetworkError):
        problem = outcome.message
    elif outcome.status in (401, 403):
        account.refused += 1
        detail = provider.error_text(outcome, (secret,), 120)
        why = (
            "an OAuth token needs the account:read or profile scope to read the account"
            if account.oauth
            else "the API key was refused"
        )
        problem = f"HTTP {outcome.status} ({detail}); {why}"
    elif outcome.status != 200:
        account.bad_answers += 1
        problem = f"HTTP {outcome.status}"
    else:
        try:
            body = outcome.json()
        except ValueError:
            account.bad_answers += 1
            problem = "the answer is not JSON"
        else:
            account.answered += 1
            return body
    account.problems.append(f"{what}: {problem}")
    return None


def _window(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    if value.get("uncapped") is True:
        return {"uncapped": True}
    reset = value.get("reset_at")
    return {
        **{key: finite_number(value.get(key)) for key in ("usage", "cap", "remaining")},
        "resetAt": one_line(reset)[:40] if isinstance(reset, str) else None,
    }


def unreadable(provider: Provider, account: Account) -> GenesisError:
    """Why nothing of the account could be read: a refused credential (exit 3), an error
    answer (5), else the network (1)."""
    why = f" ({account.problems[0]})" if account.problems else ""
    message = f"could not read the {provider.display_name} account{why}"
    if account.refused:
        return AuthError(
            message,
            hint="an OAuth sign-in needs the account:read scope; sign in with an API key "
            f"instead: genesis onboard --auth-choice {provider.api_key_choice}"
            if account.oauth
            else f"check the API key, or create a new one at {provider.api_keys_url}",
        )
    if account.bad_answers:
        return ProviderError(
            message,
            hint=f"{provider.display_name} answered with an error: try again in a minute; "
            "`genesis doctor` checks the service URLs",
        )
    return GenesisError(message, hint="check the network and try again")


def read(
    provider: Provider, secret: str, timeout: float | None = None, *, oauth: bool = False
) -> Account:
    """What ``genesis account`` shows, read with ``secret`` (an API key, or an access token)."""
    deadline = time.monotonic() + (http.http_timeout() if timeout is None else timeout)
    account = Account(oauth=oauth)
    paths = ["/users/me", "/users/me/subscription_usage", "/users/me/quotas"]
    first = _fetch_all(provider, paths, secret, deadline)
    me, usage, quotas = (
        _body(provider, account, what, first.get(path), secret)
        for what, path in zip(
            ("username and balance", "subscription", "quotas"), paths, strict=True
        )
    )
    if isinstance(me, dict):
        name = me.get("username")
        account.username = one_line(name)[:100] if isinstance(name, str) else None
        balance = finite_number(me.get("balance"))
        account.balance = float(balance) if balance is not None else None
    if isinstance(usage, dict) and isinstance(usage.get("subscription"), bool):
        account.subscribed = usage["subscription"]
        if usage["subscription"]:
            account.subscription = {
                "monthlyPrice": finite_number(usage.get("monthly_price")),
                "fourHour": _window(usage.get("four_hour")),
                "monthly": _window(usage.get("monthly")),
            }
    limits = [
        (item["chute_id"], finite_number(item.get("quota")))
        for item in (quotas if isinstance(quotas, list) else [])
        if isinstance(item, dict)
        and isinstance(item.get("chute_id"), str)
        and _CHUTE_ID.match(item["chute_id"])
    ][:MAX_QUOTAS]
    if limits and deadline - time.monotonic() < _MIN_SECONDS_LEFT:
        account.problems.append("quota use: no time left to ask")
        limits = []
    paths = [f"/users/me/quota_usage/{quote(chute_id, safe='')}" for chute_id, _ in limits]
    used = _fetch_all(provider, list(dict.fromkeys(paths)), secret, deadline) if paths else {}
    # Chutes resets daily quotas at 00:00 UTC.
    tomorrow = datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=1)
    resets = f"{tomorrow.isoformat()}T00:00:00Z"
    for (chute_id, quota), path in zip(limits, paths, strict=True):
        body = _body(provider, account, f"quota use of {chute_id}", used.get(path), secret)
        entry = {"chuteId": chute_id, "quota": quota, "used": None, "resetsAt": resets}
        if isinstance(body, dict):
            entry["quota"] = finite_number(body.get("quota")) or quota
            entry["used"] = finite_number(body.get("used"))
        account.quotas.append(entry)
    return account
