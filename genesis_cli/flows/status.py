"""``genesis auth status``: what is stored, what is in force, and what looks wrong."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from genesis_cli import fsutil, paths
from genesis_cli.config import config_file
from genesis_cli.flows.credentials import Credential, as_credential, pick, ranked_profiles
from genesis_cli.flows.refresh import can_refresh, expiring, sign_in_again
from genesis_cli.providers import Provider
from genesis_cli.store import auth_store, vault
from genesis_cli.store.auth_store import Profile
from genesis_cli.text import mask
from genesis_cli.warning_log import collect_warnings, warn


@dataclass
class InForce:
    source: str  # "profile" or "env:NAME"
    profile: str | None
    type: str
    masked: str | None
    expires_at: int | None


@dataclass
class ProfileStatus:
    id: str
    type: str
    username: str | None
    masked: str | None
    expires_at: int | None
    can_refresh: bool
    secrets: dict[str, str]  # where each secret lives: file, keyring, env:NAME


@dataclass
class Status:
    active: InForce | None
    profiles: list[ProfileStatus]
    problems: list[str]


def loose_mode(path: Path) -> int | None:
    """The mode of ``path`` when group or others have any access to it."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    return mode if mode & 0o077 else None


def _would_use(profile: Profile) -> Credential | None:
    """As ``credentials.active`` would take it, without refreshing or reading the keyring."""
    usable = profile.type == "api_key" or can_refresh(profile) or not expiring(profile, 0)
    return as_credential(profile) if usable else None


def status(provider: Provider) -> Status:
    """Only reads; what looks wrong goes to ``problems``."""
    with collect_warnings(pass_on=False) as problems:
        found, mine = _look(provider)
    active = None
    if found is not None:
        masked = mask(found.secret)
        active = InForce(found.source, found.profile, found.type, masked, found.expires_at)
    profiles = [
        ProfileStatus(
            p.id, p.type, p.username, mask(p.secret), p.expires_at, can_refresh(p), vault.where(p)
        )
        for p in mine
    ]
    return Status(active, profiles, problems)


def _look(provider: Provider) -> tuple[Credential | None, list[Profile]]:
    """The credential in force and the provider's profiles; what looks wrong is warned."""
    for path, wanted in ((paths.state_dir(), "700"), (paths.config_path(), "600")):
        mode = loose_mode(path)
        if mode is not None:
            fix = f"chmod {wanted} {fsutil.shell_path(path)}"
            warn(f"{path} is accessible to other users (mode {mode:o}); fix: {fix}")
    store = auth_store.load()
    config = config_file.load(paths.config_path()).data
    mine = ranked_profiles(provider, store.profiles, config)
    for profile in mine:
        if _would_use(profile) is None:
            again = sign_in_again(provider)
            warn(f"{profile.id}: the access token expired and cannot be refreshed; {again}")
    registered = config_file.get_path(config, "auth", "profiles")
    for profile_id, entry in registered.items() if isinstance(registered, dict) else ():
        mine_but_gone = profile_id not in store.profiles
        if mine_but_gone and isinstance(entry, dict) and entry.get("provider") == provider.id:
            warn(
                f"the config names profile {profile_id} but the auth store has "
                f"no credential for it; sign in again or remove it"
            )
    found = pick(provider, store.profiles, config, _would_use)
    if found is not None and found.source != "profile":
        name = found.source.removeprefix("env:")
        for profile in mine:
            warn(f"{name} is set and overrides the stored profile {profile.id}")
        key, token = provider.api_key_env, provider.oauth_token_env
        if os.environ.get(key, "").strip() and os.environ.get(token, "").strip():
            warn(f"both {key} and {token} are set; {key} wins")
    return found, mine
