"""``genesis doctor``: one line per check, each failure with its fix."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

from genesis_cli import fsutil, http, paths, tee
from genesis_cli.config import config_file
from genesis_cli.config.schema import inverted_aliases
from genesis_cli.errors import GenesisError, NetworkError
from genesis_cli.flows import credentials, openclaw
from genesis_cli.flows.status import loose_mode, status
from genesis_cli.oauth.protocol import check_redirect_uri
from genesis_cli.providers import Provider
from genesis_cli.store import auth_store, vault

CheckStatus = Literal["ok", "warn", "fail"]
NETWORK_CHECK_SECONDS = 5.0
MAX_CLOCK_SKEW_SECONDS = 300
ONBOARD = "run `genesis onboard`"


@dataclass
class Check:
    name: str
    status: CheckStatus
    detail: str
    fix: str | None = None


@dataclass
class Report:
    checks: list[Check]
    json_keys = ("ok", "checks")

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)


def _guarded(
    name: str, check: Callable[[], list[Check]], status: CheckStatus = "fail"
) -> list[Check]:
    """What ``check`` finds; a GenesisError it raises is its finding."""
    try:
        return check()
    except GenesisError as exc:
        return [Check(name, status, exc.message, exc.hint)]


def _file(name: str, path: Path, exists: bool, ok: str, fix: str = ONBOARD) -> list[Check]:
    """One of genesis's files or its directory: missing is a warning, open to others fails."""
    if not exists:
        return [Check(name, "warn", f"{path} does not exist yet", fix)]
    mode = loose_mode(path)
    if mode is not None:
        wanted = "700" if path.is_dir() else "600"
        fix = f"chmod {wanted} {fsutil.shell_path(path)}"
        return [Check(name, "fail", f"{path} has mode {mode:o}", fix)]
    return [Check(name, "ok", ok)]


def _state_dir() -> list[Check]:
    path = paths.state_dir()
    if path.exists() and not path.is_dir():
        return [Check("state dir", "fail", f"{path} is not a directory", f"move {path} away")]
    return _file("state dir", path, path.exists(), f"{path} (700)", f"{ONBOARD} to create it")


def _config() -> list[Check]:
    path = paths.config_path()
    document = config_file.load(path)
    primary = config_file.primary_model(document.data) or "no default model"
    checks = _file("config", path, document.exists, f"{path} is valid JSON5 (default: {primary})")
    reversed_aliases = inverted_aliases(document.data)
    if checks[0].status == "ok" and reversed_aliases:
        fix = "edit the config by hand (genesis does not rewrite these entries)"
        checks.append(Check("aliases", "warn", "; ".join(reversed_aliases), fix))
    return checks


def _store() -> list[Check]:
    store, path = auth_store.load(), paths.auth_store_path()
    ok = f"{path} holds {len(store.profiles)} profile(s) (600)"
    checks = _file("auth store", path, store.exists, ok)
    users = [p for p in store.profiles.values() if any(r.kind == "keyring" for _, r in p.refs)]
    return checks + (_guarded("keyring", lambda: _keyring(users)) if users else [])


def _keyring(users: list[auth_store.Profile]) -> list[Check]:
    """The profiles that keep a secret in the OS keyring: can every one be read?"""
    for profile in users:
        vault.resolve(profile)
    names = ", ".join(p.id for p in users)
    return [Check("keyring", "ok", f"the secrets of {names} are readable in the OS keyring")]


def _credential(provider: Provider) -> list[Check]:
    active = status(provider).active
    if active is None:
        fix = f"run `genesis onboard` or set {provider.api_key_env}"
        return [Check("credential", "fail", f"no usable {provider.display_name} credential", fix)]
    where = active.profile or active.source
    return [Check("credential", "ok", f"{active.type} from {where} ({active.masked})")]


def _openclaw(provider: Provider) -> list[Check]:
    """The exec reference runs a genesis that is there; no key of OpenClaw's shadows it."""
    data: dict[str, Any] = {}
    with contextlib.suppress(GenesisError):  # the config check says why
        data = config_file.load(paths.config_path()).data
    checks = []
    found = openclaw.reference_problem(data, provider)
    if found is not None and found[0] == "ok":
        checks.append(Check("openclaw", "ok", f"OpenClaw gets the credential from {found[1]}"))
    elif found is not None:
        fix = "run `genesis onboard` again from the genesis you use, to point the config at it"
        detail = f"OpenClaw cannot ask genesis for the credential: {found[1]}"
        checks.append(Check("openclaw", "fail", detail, fix))
    loosened = openclaw.loosening_keys(data, provider)
    if loosened:
        detail = (
            f"genesis's exec reference sets {', '.join(loosened)}, which let OpenClaw run a "
            "command it would otherwise refuse"
        )
        fix = "run `genesis onboard` again (it rewrites genesis's entry without them)"
        checks.append(Check("openclaw exec", "warn", detail, fix))
    shadowed = openclaw.shadowing_key(provider)
    if shadowed is not None:
        checks.append(Check("openclaw key", "warn", *shadowed))
    return checks


def _network_settings() -> list[Check]:
    http.check_ca_bundles()
    names = [n for upper in openclaw.PROXY_VARIABLES for n in (upper, upper.lower())]
    parts = [f"{n}={http.masked_proxy(os.environ[n])}" for n in names if os.environ.get(n)]
    parts += [f"{n}={os.environ[n]}" for n in http.CA_BUNDLE_VARIABLES if os.environ.get(n)]
    return [Check("proxy / CA", "ok", ", ".join(parts) or "direct, system CA bundle")]


def _redirect_uri(provider: Provider) -> list[Check]:
    """A redirect URI set in the environment must pass sign-in's own check."""
    name = provider.redirect_uri_env
    uri = os.environ.get(name, "").strip()
    if provider.sign_in is None or not uri:
        return []
    check_redirect_uri(provider, uri)
    return [Check("redirect URI", "ok", f"{name}={uri} (sign-in listens there)")]


def _verifier(provider: Provider) -> list[Check]:
    """Only for providers that publish TEE evidence: can ``models verify`` run?"""
    if provider.attestation is None:
        return []
    missing = tee.missing_verifier()
    if missing is not None:
        detail = f"not installed (no {missing}): `genesis models verify` cannot run"
        return [Check("TEE verifier", "warn", detail, tee.INSTALL_LINE)]
    try:
        versions = f"dcap-qvl {version('dcap-qvl')}, cryptography {version('cryptography')}"
    except PackageNotFoundError:
        versions = "importable"
    return [Check("TEE verifier", "ok", f"{versions} (for `genesis models verify`)")]


def _clock(provider: Provider, server_time: float | None) -> Check:
    name = provider.display_name
    if server_time is None:
        return Check("clock", "warn", f"could not compare the clock with {name} (no Date header)")
    skew = time.time() - server_time
    if abs(skew) <= MAX_CLOCK_SKEW_SECONDS:
        return Check("clock", "ok", f"within {abs(skew):.0f}s of {name}'s clock")
    fix = "sync the clock (e.g. timedatectl set-ntp true): token expiry depends on it"
    return Check("clock", "fail", f"this machine's clock is {skew:+.0f}s off {name}'s clock", fix)


def _account(provider: Provider, timeout: float) -> list[Check]:
    """Can the active credential run a TEE model (one with -TEE in its name)?"""
    account = provider.account()
    credential = credentials.active(provider)
    if credential is None:
        return [Check("account", "warn", "no credential to read the account with")]
    oauth = credential.type != "api_key"
    found = account.read(provider, credential.secret, timeout=timeout, oauth=oauth)
    if found.answered == 0:
        raise account.unreadable(provider, found)
    if found.tee_ready is False:
        detail = f"{account.TEE_SENTENCE}; this account has neither (balance {found.balance:g})"
        fix = f"add balance or subscribe at {provider.site_url}, then `genesis models test`"
        return [Check("account", "fail", detail, fix)]
    who = found.username or "unknown user"
    money = "unknown balance" if found.balance is None else f"balance ${found.balance:,.2f}"
    plan = "subscribed" if found.subscribed else "no subscription"
    return [Check("account", "ok", f"{who}, {money}, {plan}")]


def _services(provider: Provider, timeout: float) -> list[Check]:
    """The services answer (any HTTP answer counts), the clock agrees with theirs, and (with a
    management API) the account can run a model."""
    urls = {"models API": f"{provider.base_url()}/models"}
    if provider.sign_in:
        urls["sign-in (IdP)"] = f"{provider.oauth_base_url()}/userinfo"
    checks, server_time = [], None
    for name, url in urls.items():
        try:
            response = http.request("GET", url, timeout=timeout)
        except NetworkError as exc:
            fix = "check the network, HTTPS_PROXY / NO_PROXY and the CA bundle"
            checks.append(Check(name, "fail", f"{url}: {exc.message}", fix))
            continue
        with contextlib.suppress(KeyError, TypeError, ValueError):  # the Date header, if any
            server_time = server_time or parsedate_to_datetime(response.headers["date"]).timestamp()
        outcome: CheckStatus = "ok" if response.status < 500 else "warn"
        detail = f"{url} answered HTTP {response.status} in {response.elapsed * 1000:.0f} ms"
        checks.append(Check(name, outcome, detail))
    checks.append(_clock(provider, server_time))
    if provider.api_base_url_default is not None:
        checks += _guarded("account", lambda: _account(provider, timeout), "warn")
    return checks


def run_checks(provider: Provider) -> Report:
    # A bad GENESIS_HTTP_TIMEOUT or state path is exit 2 here as everywhere, not a check.
    timeout = min(http.http_timeout(), NETWORK_CHECK_SECONDS)
    checks = [
        *_state_dir(),
        *_guarded("config", _config),
        *_guarded("auth store", _store),
        *_guarded("credential", lambda: _credential(provider)),
        *_openclaw(provider),
        *_guarded("proxy / CA", _network_settings),
        *_guarded("redirect URI", lambda: _redirect_uri(provider)),
        *_verifier(provider),
        *_guarded("endpoints", lambda: _services(provider, timeout)),
    ]
    first: dict[str, str] = {}  # a problem that fails several checks is told at the first
    for check in checks:
        if check.status != "ok" and first.setdefault(check.detail, check.name) != check.name:
            check.detail, check.fix = f"the same problem as {first[check.detail]} above", None
    return Report(checks)
