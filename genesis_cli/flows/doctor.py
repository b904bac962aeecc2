"""``genesis doctor``: one line per check, each failure with its fix."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal

from genesis_cli import http, paths
from genesis_cli.config import config_file
from genesis_cli.config.schema import inverted_aliases
from genesis_cli.errors import GenesisError, NetworkError
from genesis_cli.flows import openclaw
from genesis_cli.flows.status import loose_mode, status
from genesis_cli.providers import Provider
from genesis_cli.store import auth_store

CheckStatus = Literal["ok", "warn", "fail"]
NETWORK_CHECK_SECONDS = 5.0
MAX_CLOCK_SKEW_SECONDS = 300


@dataclass
class Check:
    name: str
    status: CheckStatus
    detail: str
    fix: str | None = None


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    json_keys = ("ok", "checks")

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)


def _loose(name: str, path: Path, wanted: str) -> Check | None:
    mode = loose_mode(path)
    if mode is None:
        return None
    return Check(name, "fail", f"{path} has mode {mode:o}", f"chmod {wanted} {path}")


def _state_dir() -> Check:
    path = paths.state_dir()
    if not path.exists():
        return Check(
            "state dir", "warn", f"{path} does not exist yet", "run `genesis onboard` to create it"
        )
    if not path.is_dir():
        return Check("state dir", "fail", f"{path} is not a directory", f"move {path} away")
    return _loose("state dir", path, "700") or Check("state dir", "ok", f"{path} (700)")


def _config() -> list[Check]:
    path = paths.config_path()
    try:
        document = config_file.load(path)
    except GenesisError as exc:
        return [Check("config", "fail", exc.message, exc.hint)]
    if not document.exists:
        return [Check("config", "warn", f"{path} does not exist yet", "run `genesis onboard`")]
    loose = _loose("config", path, "600")
    if loose:
        return [loose]
    primary = config_file.primary_model(document.data) or "no default model"
    checks = [Check("config", "ok", f"{path} is valid JSON5 (default: {primary})")]
    reversed_aliases = inverted_aliases(document.data)
    if reversed_aliases:
        fix = "edit the config by hand (genesis does not rewrite these entries)"
        checks.append(Check("aliases", "warn", "; ".join(reversed_aliases), fix))
    return checks


def _store() -> Check:
    path = paths.auth_store_path()
    loose = _loose("auth store", path, "600")
    if loose:
        return loose
    try:
        store = auth_store.load()
    except GenesisError as exc:
        return Check("auth store", "fail", exc.message, exc.hint)
    if not store.exists:
        return Check("auth store", "warn", f"{path} does not exist yet", "run `genesis onboard`")
    return Check("auth store", "ok", f"{path} holds {len(store.profiles)} profile(s) (600)")


def _keyring() -> Check | None:
    """Only when a profile keeps a secret in the OS keyring: can every one be read?"""
    from genesis_cli.store import vault

    try:
        profiles = auth_store.load().profiles
    except GenesisError:
        return None  # the auth store check says why
    users = [p for p in profiles.values() if any(r.kind == "keyring" for _, r in p.refs)]
    if not users:
        return None
    for profile in users:
        try:
            vault.resolve(profile)
        except GenesisError as exc:
            return Check("keyring", "fail", exc.message, exc.hint)
    names = ", ".join(p.id for p in users)
    return Check("keyring", "ok", f"the secrets of {names} are readable in the OS keyring")


def _credential(provider: Provider) -> Check:
    try:
        found = status(provider)
    except GenesisError as exc:
        return Check("credential", "fail", exc.message, exc.hint)
    if found.active is None:
        return Check(
            "credential",
            "fail",
            f"no usable {provider.display_name} credential",
            f"run `genesis onboard` or set {provider.api_key_env}",
        )
    where = found.active.profile or found.active.source
    return Check("credential", "ok", f"{found.active.type} from {where} ({found.active.masked})")


def _account(provider: Provider) -> Check:
    """Can the active credential run a TEE model (every Chutes model is TEE now)? Asked of
    providers with a management API (``/users/me``)."""
    from genesis_cli.flows import credentials

    try:
        account = provider.account()
        credential = credentials.active(provider)
    except GenesisError as exc:
        return Check("account", "warn", exc.message, exc.hint)
    if credential is None:
        return Check("account", "warn", "no credential to read the account with")
    timeout = min(http.http_timeout(), NETWORK_CHECK_SECONDS)
    oauth = credential.type != "api_key"
    found = account.read(provider, credential.secret, timeout=timeout, oauth=oauth)
    if found.answered == 0:
        error = account.unreadable(provider, found)
        return Check("account", "warn", error.message, error.hint)
    if found.tee_ready is False:
        return Check(
            "account",
            "fail",
            f"{account.TEE_SENTENCE}; this account has neither (balance {found.balance:g})",
            f"add balance or subscribe at {provider.site_url}, then `genesis models test`",
        )
    who = found.username or "unknown user"
    money = "unknown balance" if found.balance is None else f"balance ${found.balance:,.2f}"
    plan = "subscribed" if found.subscribed else "no subscription"
    return Check("account", "ok", f"{who}, {money}, {plan}")


def _probe(name: str, url: str) -> tuple[Check, float | None]:
    """Any HTTP answer means reachable. Returns the check and the server's clock, if given."""
    started = time.monotonic()
    try:
        response = http.request("GET", url, timeout=min(http.http_timeout(), NETWORK_CHECK_SECONDS))
    except NetworkError as exc:
        return Check(
            name,
            "fail",
            f"{url}: {exc.message}",
            "check the network, HTTPS_PROXY / NO_PROXY and the CA bundle",
        ), None
    elapsed = (time.monotonic() - started) * 1000
    server_time = None
    if "date" in response.headers:
        try:
            server_time = parsedate_to_datetime(response.headers["date"]).timestamp()
        except (TypeError, ValueError):
            server_time = None
    outcome: CheckStatus = "ok" if response.status < 500 else "warn"
    detail = f"{url} answered HTTP {response.status} in {elapsed:.0f} ms"
    return Check(name, outcome, detail), server_time


def _clock(provider: Provider, server_time: float | None) -> Check:
    name = provider.display_name
    if server_time is None:
        return Check("clock", "warn", f"could not compare the clock with {name} (no Date header)")
    skew = time.time() - server_time
    if abs(skew) > MAX_CLOCK_SKEW_SECONDS:
        return Check(
            "clock",
            "fail",
            f"this machine's clock is {skew:+.0f}s off {name}'s clock",
            "sync the clock (e.g. timedatectl set-ntp true): token expiry depends on it",
        )
    return Check("clock", "ok", f"within {abs(skew):.0f}s of {name}'s clock")


def _openclaw(provider: Provider) -> list[Check]:
    """What OpenClaw needs: the exec reference in the config runs a genesis that is there,
    and no key OpenClaw stored itself shadows genesis's credential."""
    checks = []
    try:
        data = config_file.load(paths.config_path()).data
    except GenesisError:
        data = {}  # the config check says why
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


def _network_settings() -> Check:
    names = [n for upper in openclaw.PROXY_VARIABLES for n in (upper, upper.lower())]
    proxies = [f"{n}={http.masked_proxy(os.environ[n])}" for n in names if os.environ.get(n)]
    try:
        http.check_ca_bundles()
    except NetworkError as exc:
        return Check("proxy / CA", "fail", exc.message, exc.hint)
    bundles = [f"{n}={os.environ[n]}" for n in http.CA_BUNDLE_VARIABLES if os.environ.get(n)]
    parts = proxies + bundles
    return Check("proxy / CA", "ok", ", ".join(parts) if parts else "direct, system CA bundle")


def _verifier(provider: Provider) -> Check | None:
    """Only for providers that publish TEE evidence: can ``models verify`` run?"""
    from genesis_cli import tee

    if provider.attestation is None:
        return None
    missing = tee.missing_verifier()
    if missing is not None:
        return Check(
            "TEE verifier",
            "warn",
            f"not installed (no {missing}): `genesis models verify` cannot run",
            tee.INSTALL_LINE,
        )
    from importlib.metadata import PackageNotFoundError, version

    try:
        versions = f"dcap-qvl {version('dcap-qvl')}, cryptography {version('cryptography')}"
    except PackageNotFoundError:
        versions = "importable"
    return Check("TEE verifier", "ok", f"{versions} (for `genesis models verify`)")


def run_checks(provider: Provider) -> Report:
    report = Report()
    keyring = _keyring()
    report.checks += [_state_dir(), *_config(), _store(), *([keyring] if keyring else [])]
    report.checks += [_credential(provider), *_openclaw(provider), _network_settings()]
    verifier = _verifier(provider)
    report.checks += [verifier] if verifier else []
    try:
        models_url = f"{provider.base_url()}/models"
        idp_url = f"{provider.oauth_base_url()}/userinfo" if provider.sign_in else None
    except GenesisError as exc:
        report.checks.append(Check("endpoints", "fail", exc.message, exc.hint))
        return report
    models_check, server_time = _probe("models API", models_url)
    report.checks.append(models_check)
    if idp_url is not None:
        idp_check, idp_time = _probe("sign-in (IdP)", idp_url)
        report.checks.append(idp_check)
        server_time = server_time or idp_time
    report.checks.append(_clock(provider, server_time))
    if provider.api_base_url_default is not None:
        report.checks.append(_account(provider))
    return report
