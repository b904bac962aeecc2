"""``genesis auth refresh``: every OAuth profile refreshed now, whatever its expiry."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from genesis_cli.errors import AuthError
from genesis_cli.flows import credentials
from genesis_cli.flows.refresh import refresh_profile
from genesis_cli.providers import Provider
from genesis_cli.store import auth_store


@dataclass
class Refreshed:
    profile: str
    expires_at: int | None


@dataclass
class Skipped:
    profile: str
    reason: str


@dataclass
class RefreshReport:
    refreshed: list[Refreshed] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def refresh_now(
    provider: Provider,
    profile_id: str | None,
    progress: Callable[[str], contextlib.AbstractContextManager[None]],
) -> RefreshReport:
    """``genesis auth refresh``: every OAuth profile of ``provider`` (or ``profile_id``)
    refreshed whatever its expiry, inside ``progress``; what cannot be, said as skipped."""
    profiles = auth_store.load().profiles
    report = RefreshReport()
    for name in (provider.api_key_env, provider.oauth_token_env):
        value = os.environ.get(name, "").strip()
        token = name == provider.oauth_token_env or credentials.is_oauth_token(provider, value)
        if value and token and credentials.exported_profile(provider, profiles, value) is None:
            reason = "a token from the environment cannot be refreshed by genesis"
            report.skipped.append(Skipped(f"env:{name}", reason))
    for profile in credentials.named_profiles(provider, profiles, profile_id):
        if profile.type != "oauth":
            report.skipped.append(Skipped(profile.id, "api keys do not expire"))
            continue
        with progress(f"Refreshing {profile.id}…"):
            result = refresh_profile(provider, profile.id, force=True, seen_access=profile.access)
        report.refreshed.append(Refreshed(profile.id, result.expires_at))
    if not report.refreshed and not report.skipped:
        raise AuthError(
            f"there is nothing to refresh: no stored {provider.display_name} profile",
            hint=f"sign in: genesis onboard --auth-choice {provider.id}",
        )
    return report
