"""``genesis auth status``: what is stored, what is in force, and what looks wrong."""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genesis_cli import paths
from genesis_cli.config import config_file
from genesis_cli.flows.credentials import as_credential, pick, ranked_profiles
from genesis_cli.flows.refresh import can_refresh, sign_in_again
from genesis_cli.providers import Provider
from genesis_cli.records import Credential
from genesis_cli.store import auth_store, vault
from genesis_cli.store.auth_store import Profile
from genesis_cli.text import mask


@dataclass
class Status:
    active: dict[str, Any] | None
    profiles: list[dict[str, Any]]
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"active": self.active, "profiles": self.profiles, "problems": self.problems}


def _profile_json(profile: Profile) -> dict[str, Any]:
    return {
        "id": profile.id,
        "type": profile.type,
        "username": profile.username,
        "masked": mask(profile.secret) if profile.secret else None,
        "expiresAt": profile.expires_at,
        "canRefresh": can_refresh(profile),
        "secrets": vault.where(profile),  # where each secret lives: file, keyring, env:NAME
    }


def loose_mode(path: Path) -> int | None:
    """The mode of ``path`` when group or others have any access to it."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    return mode if mode & 0o077 else None


def file_mode_problems() -> list[str]:
    problems = []
    for path, wanted in ((paths.state_dir(), "700"), (paths.config_path(), "600")):
        mode = loose_mode(path)
        if mode is not None:
            problems.append(
                f"{path} is accessible to other users (mode {mode:o}); fix: chmod {wanted} {path}"
            )
    return problems


def status(provider: Provider) -> Status:
    problems = file_mode_problems()
    store = auth_store.load(lambda message: problems.append(message))
    config = config_file.load(paths.config_path()).data
    mine = ranked_profiles(provider, store.profiles, config)
    now = time.time()
    for profile in mine:
        if profile.type != "oauth" or profile.expires_at is None or profile.expires_at > now:
            continue
        if can_refresh(profile):
            continue
        problems.append(
            f"{profile.id}: the access token expired and cannot be refreshed; "
            + sign_in_again(provider)
        )
    registered = config_file.get_path(config, "auth", "profiles")
    if isinstance(registered, dict):
        for profile_id, entry in registered.items():
            is_mine = isinstance(entry, dict) and entry.get("provider") == provider.id
            if is_mine and profile_id not in store.profiles:
                problems.append(
                    f"the config names profile {profile_id} but the auth store has "
                    f"no credential for it; sign in again or remove it"
                )

    def would_use(profile: Profile) -> Credential | None:
        # As ``credentials.active`` would, without refreshing or reading the keyring.
        fresh = profile.expires_at is None or profile.expires_at > now
        usable = profile.type == "api_key" or can_refresh(profile) or fresh
        return as_credential(profile) if usable else None

    in_force = pick(provider, store.profiles, config, would_use)
    active: dict[str, Any] | None = None
    if in_force is not None:
        active = {
            "source": in_force.source,
            "profile": in_force.profile,
            "type": in_force.type,
            "masked": mask(in_force.secret) if in_force.secret else None,
            "expiresAt": in_force.expires_at,
        }
    if in_force is not None and in_force.source != "profile":
        for profile in mine:
            problems.append(
                f"{in_force.source.removeprefix('env:')} is set and overrides the "
                f"stored profile {profile.id}"
            )
        if (
            os.environ.get(provider.api_key_env, "").strip()
            and os.environ.get(provider.oauth_token_env, "").strip()
        ):
            problems.append(
                f"both {provider.api_key_env} and {provider.oauth_token_env} are set; "
                f"{provider.api_key_env} wins"
            )
    return Status(active=active, profiles=[_profile_json(p) for p in mine], problems=problems)
