"""``genesis auth logout``: revoke at the server where possible, then delete locally."""

from __future__ import annotations

import contextlib
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


def logout(provider: Provider, profile_id: str | None, everything: bool) -> LogoutResult:
    """Under the profile lock, so that a refresh in flight finishes first and cannot write
    its new tokens back afterwards."""
    result = LogoutResult()
    with collect_warnings() as result.warnings:
        auth_store.load()  # an unreadable store is exit 4 before anything is created
        with profile_lock():
            chosen = credentials.named_profiles(provider, auth_store.load().profiles, profile_id)
            if profile_id is None and not everything and len(chosen) > 1:
                raise UsageError(
                    f"{len(chosen)} profiles are stored ({', '.join(p.id for p in chosen)})",
                    hint="pass --profile ID, or --all to log out of every one",
                )
            api_key = None  # read before anything is deleted
            if provider.api_base_url_default is not None and any(p.type == "oauth" for p in chosen):
                # A keyring that cannot be read: the tokens are still revoked one by one.
                with contextlib.suppress(GenesisError):
                    api_key = credentials.api_key(provider)
            for profile in chosen:
                revoked = _revoke(provider, profile, api_key)
                result.logged_out.append(LoggedOut(profile.id, profile.type, revoked))
            if chosen:
                _delete(chosen)
        for name in (provider.api_key_env, provider.oauth_token_env):
            if os.environ.get(name, "").strip():
                warn(f"{name} is set in your environment and still signs you in")
    return result


def _revoke(provider: Provider, profile: Profile, api_key: str | None) -> bool | None:
    """Revoke an OAuth profile at the provider; ``None`` when there is nothing to revoke (API
    keys are deleted on the provider's site)."""
    name = provider.display_name
    if profile.type == "api_key":
        where = provider.api_keys_url
        warn(f"the API key of {profile.id} still works until you delete it at {where}")
    if profile.type != "oauth" or not profile.client_id:
        return None
    if api_key:
        # The whole authorization of the app first, while it is still listed: revoking one
        # token leaves the sessions forked by concurrent refreshes alive.
        apps = provider.apps()
        stored = auth_store.load().clients.get(provider.id)
        app_id = stored.app_id if stored and stored.client_id == profile.client_id else None
        app_id = app_id or apps.authorized_app_id(provider, api_key, profile.client_id)
        if not (app_id and apps.end_authorization(provider, api_key, app_id)):
            warn(
                f"could not end the whole authorization of {profile.id} at {name}; its other "
                "sessions (forked by concurrent refreshes) expire on their own"
            )
    try:
        profile = vault.resolve(profile)
    except AuthError:
        revoked = False  # a secret that cannot be read cannot be revoked; it is deleted anyway
    else:
        client = client_for(provider, profile)
        revoked = all([protocol.revoke(client, t) for t in (profile.refresh, profile.access) if t])
    if not revoked:
        warn(
            f"could not revoke the tokens of {profile.id} at {name}; they were deleted here "
            "and expire on their own"
        )
    return revoked


def _delete(chosen: list[Profile]) -> None:
    """From the store first: a kill before the keyring entries go leaves orphans there, never
    references to nothing."""
    ids = {p.id for p in chosen}

    def drop(profiles: Any) -> None:
        for profile_id in ids if isinstance(profiles, dict) else ():
            profiles.pop(profile_id, None)

    auth_store.update(drop)
    for profile in chosen:
        for left in vault.forget(profile):
            warn(f"could not delete the keyring entry of {profile.id}'s {left}")
    path = paths.config_path()
    if config_file.load(path).exists:
        config_file.update(path, lambda data: drop(config_file.get_path(data, "auth", "profiles")))
