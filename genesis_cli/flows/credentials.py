"""Which credential is in force at run time (SPEC 4). One function, used by every command."""

from __future__ import annotations

import os
from collections.abc import Callable

from genesis_cli import auth_store, paths, vault
from genesis_cli.auth_store import Profile
from genesis_cli.config import config_file
from genesis_cli.errors import AuthError, UsageError
from genesis_cli.flows import refresh
from genesis_cli.providers import chutes
from genesis_cli.records import Credential, sendable

Warn = Callable[[str], None]


def _from_env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    if value and not sendable(value):
        raise UsageError(
            f"{name} holds control characters or non-ASCII characters (a copied masked key "
            "such as cpk_…wxyz?)",
            hint=f"set {name} to the whole key or token, or unset it",
        )
    return value or None


def env_credential() -> Credential | None:
    key = _from_env(chutes.API_KEY_ENV)
    if key:
        return Credential(source="env:CHUTES_API_KEY", type="api_key", secret=key)
    token = _from_env(chutes.OAUTH_TOKEN_ENV)
    if token:
        return Credential(source="env:CHUTES_OAUTH_TOKEN", type="token", secret=token)
    return None


def ranked_profiles(profiles: dict[str, Profile], config: dict[str, object]) -> list[Profile]:
    """Stored Chutes profiles in the order they are tried: ``auth.order.chutes`` first when
    the config has it, then OAuth before API key, each in file order."""
    mine = [p for p in profiles.values() if p.provider == chutes.ID]
    order = config_file.auth_order(config, chutes.ID) if isinstance(config, dict) else None
    default = sorted(mine, key=lambda p: p.type != "oauth")
    if not order:
        return default
    listed = [profiles[pid] for pid in order if pid in profiles and profiles[pid] in mine]
    return listed + [p for p in default if p not in listed]


def _usable(profile: Profile, warn: Warn | None) -> Credential | None:
    """A stored profile as the credential in force: refreshed when OAuth and due, its
    referenced secrets read; ``None`` when it has no secret."""
    profile = vault.resolve(refresh.ensure_fresh(profile, warn))
    if not profile.secret:
        return None
    return Credential(
        source="profile",
        type=profile.type,
        secret=profile.secret,
        profile=profile.id,
        expires_at=profile.expires_at,
    )


def chosen(profile_id: str | None, warn: Warn | None = None) -> Credential | None:
    """The credential to use or hand on: the stored ``profile_id`` when given (refreshed
    first when it is OAuth and due), else the active one (SPEC 4 order)."""
    if profile_id is None:
        return active(warn)
    profile = auth_store.load(warn).profiles.get(profile_id)
    return _usable(profile, warn) if profile is not None else None


def required(profile_id: str | None, warn: Warn | None = None, purpose: str = "") -> Credential:
    """``chosen``, or exit 3 saying there is none (``purpose``: "to test with", ...)."""
    found = chosen(profile_id, warn)
    if found is not None:
        return found
    if profile_id is not None:
        raise AuthError(
            f"there is no usable profile {profile_id!r}", hint="see `genesis auth status`"
        )
    raise AuthError(
        f"no Chutes credential{' ' + purpose if purpose else ''}",
        hint="run `genesis onboard`, or set CHUTES_API_KEY",
    )


def active(warn: Warn | None = None) -> Credential | None:
    """``CHUTES_API_KEY``, then ``CHUTES_OAUTH_TOKEN``, then the first stored profile."""
    from_env = env_credential()
    if from_env is not None:
        return from_env
    store = auth_store.load(warn)
    if not store.profiles:
        return None
    config = config_file.load(paths.config_path()).data
    for candidate in ranked_profiles(store.profiles, config):
        found = _usable(candidate, warn)
        if found is not None:
            return found
    return None
