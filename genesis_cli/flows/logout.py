"""``genesis auth logout``: revoke at the server where possible, then delete locally."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from genesis_cli import paths
from genesis_cli.config import config_file
from genesis_cli.errors import AuthError, UsageError
from genesis_cli.flows.credentials import check_provider
from genesis_cli.flows.refresh import client_for, profile_lock
from genesis_cli.oauth import protocol
from genesis_cli.providers import Provider
from genesis_cli.store import auth_store, vault
from genesis_cli.store.auth_store import Profile

Warn = Callable[[str], None]


@dataclass
class LogoutResult:
    removed: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"loggedOut": self.removed, "warnings": self.warnings}


def choose(
    provider: Provider, profiles: dict[str, Profile], profile_id: str | None, everything: bool
) -> list[Profile]:
    mine = [p for p in profiles.values() if p.provider == provider.id]
    if profile_id is not None:
        if profile_id not in profiles:
            known = ", ".join(sorted(profiles)) or "none"
            raise UsageError(f"there is no profile {profile_id!r} (stored: {known})")
        check_provider(provider, profiles[profile_id])
        return [profiles[profile_id]]
    if everything or len(mine) <= 1:
        return mine
    raise UsageError(
        f"{len(mine)} profiles are stored ({', '.join(p.id for p in mine)})",
        hint="pass --profile ID, or --all to log out of every one",
    )


def _revoke(provider: Provider, profile: Profile) -> bool | None:
    """``None`` when there is nothing to revoke (API keys are managed on the provider's site)."""
    if profile.type != "oauth" or not profile.client_id:
        return None
    try:
        profile = vault.resolve(profile)
    except AuthError:
        return False  # a secret that cannot be read cannot be revoked; it is deleted anyway
    client = client_for(provider, profile)
    tokens = [t for t in (profile.refresh, profile.access) if t]
    return all([protocol.revoke(client, token) for token in tokens])


def logout(
    provider: Provider, profile_id: str | None, everything: bool, warn: Warn | None = None
) -> LogoutResult:
    """Under the profile lock, so that a refresh in flight finishes first and cannot write
    its new tokens back afterwards."""
    auth_store.load(warn)  # an unreadable store is exit 4 before anything is created
    with profile_lock():
        return _logout(provider, profile_id, everything, warn)


def _logout(
    provider: Provider, profile_id: str | None, everything: bool, warn: Warn | None
) -> LogoutResult:
    chosen = choose(provider, auth_store.load(warn).profiles, profile_id, everything)
    result = LogoutResult()
    for profile in chosen:
        revoked = _revoke(provider, profile)
        if revoked is False:
            result.warnings.append(
                f"could not revoke the tokens of {profile.id} at "
                f"{provider.display_name}; they were deleted here and expire "
                "on their own"
            )
        if profile.type == "api_key":
            result.warnings.append(
                f"the API key of {profile.id} still works until you delete "
                f"it at {provider.api_keys_url}"
            )
        result.removed.append({"profile": profile.id, "type": profile.type, "revoked": revoked})
    ids = {p.id for p in chosen}
    if ids:

        def drop(profiles: dict[str, Profile]) -> None:
            for profile_id_ in ids:
                profiles.pop(profile_id_, None)

        auth_store.update(drop, warn)
        for profile in chosen:  # after the store: a kill here leaves orphans, never dangling refs
            for left in vault.forget(profile):
                result.warnings.append(
                    f"could not delete the keyring entry of {profile.id}'s {left}"
                )
        path = paths.config_path()

        def forget(data: dict[str, Any]) -> None:
            registered = config_file.get_path(data, "auth", "profiles")
            if isinstance(registered, dict):
                for profile_id_ in ids:
                    registered.pop(profile_id_, None)

        if config_file.load(path).exists:
            config_file.update(path, forget)
    for name in (provider.api_key_env, provider.oauth_token_env):
        if os.environ.get(name, "").strip():
            result.warnings.append(f"{name} is set in your environment and still signs you in")
    return result
