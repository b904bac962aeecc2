"""``genesis auth logout``: revoke at the server where possible, then delete locally."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from genesis_cli import paths
from genesis_cli.config import config_file
from genesis_cli.errors import AuthError, GenesisError, UsageError
from genesis_cli.flows import credentials
from genesis_cli.flows.refresh import client_for, profile_lock
from genesis_cli.oauth import protocol
from genesis_cli.providers import Provider
from genesis_cli.store import auth_store, vault
from genesis_cli.store.auth_store import Profile
from genesis_cli.warning_log import collect_warnings, warn


@dataclass
class LoggedOut:
    profile: str
    type: str
    revoked: bool | None  # None: nothing to revoke


@dataclass
class LogoutResult:
    logged_out: list[LoggedOut] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def choose(
    provider: Provider, profiles: dict[str, Profile], profile_id: str | None, everything: bool
) -> list[Profile]:
    mine = credentials.named_profiles(provider, profiles, profile_id)
    if profile_id is not None or everything or len(mine) <= 1:
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


def _end_authorization(provider: Provider, profile: Profile, api_key: str | None) -> bool | None:
    """End the whole authorization of the profile's app at the provider (every token, forks
    included: revoking one token leaves sessions forked by concurrent refreshes alive).
    ``None`` when it cannot be tried: no API key at hand, or no management API."""
    if profile.type != "oauth" or not profile.client_id or not api_key:
        return None
    apps = provider.apps()
    stored = auth_store.load().clients.get(provider.id)
    app_id = stored.app_id if stored and stored.client_id == profile.client_id else None
    app_id = app_id or apps.authorized_app_id(provider, api_key, profile.client_id)
    return apps.end_authorization(provider, api_key, app_id) if app_id else False


def _api_key(provider: Provider, chosen: list[Profile]) -> str | None:
    """The API key at hand, read before anything is deleted; only when an OAuth profile is
    logged out of a provider with a management API."""
    if provider.api_base_url_default is None or all(p.type != "oauth" for p in chosen):
        return None
    try:
        return credentials.api_key(provider)
    except GenesisError:
        return None  # a keyring that cannot be read: the tokens are still revoked one by one


def logout(provider: Provider, profile_id: str | None, everything: bool) -> LogoutResult:
    """Under the profile lock, so that a refresh in flight finishes first and cannot write
    its new tokens back afterwards."""
    result = LogoutResult()
    with collect_warnings() as result.warnings:
        auth_store.load()  # an unreadable store is exit 4 before anything is created
        with profile_lock():
            _logout(provider, profile_id, everything, result)
    return result


def _logout(
    provider: Provider, profile_id: str | None, everything: bool, result: LogoutResult
) -> None:
    chosen = choose(provider, auth_store.load().profiles, profile_id, everything)
    api_key = _api_key(provider, chosen)
    for profile in chosen:
        # The authorization first, while it is still listed; then the tokens one by one.
        ended = _end_authorization(provider, profile, api_key)
        revoked = _revoke(provider, profile)
        if ended is False:
            warn(
                f"could not end the whole authorization of {profile.id} at "
                f"{provider.display_name}; its other sessions (forked by concurrent refreshes) "
                "expire on their own"
            )
        if revoked is False:
            warn(
                f"could not revoke the tokens of {profile.id} at "
                f"{provider.display_name}; they were deleted here and expire "
                "on their own"
            )
        if profile.type == "api_key":
            warn(
                f"the API key of {profile.id} still works until you delete "
                f"it at {provider.api_keys_url}"
            )
        result.logged_out.append(LoggedOut(profile.id, profile.type, revoked))
    ids = {p.id for p in chosen}
    if ids:

        def drop(profiles: dict[str, Profile]) -> None:
            for profile_id_ in ids:
                profiles.pop(profile_id_, None)

        auth_store.update(drop)
        for profile in chosen:  # after the store: a kill here leaves orphans, never dangling refs
            for left in vault.forget(profile):
                warn(f"could not delete the keyring entry of {profile.id}'s {left}")
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
            warn(f"{name} is set in your environment and still signs you in")
