"""Where genesis keeps its files. Computed when asked, environment first."""

from __future__ import annotations

import os
from pathlib import Path


def state_dir() -> Path:
    env = os.environ.get("GENESIS_STATE_DIR")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".genesis"


def config_path() -> Path:
    env = os.environ.get("GENESIS_CONFIG_PATH")
    if env:
        return Path(env).expanduser()
    return state_dir() / "genesis.json"


def auth_store_path() -> Path:
    return state_dir() / "auth-profiles.toml"


def cache_dir() -> Path:
    return state_dir() / "cache"


def catalog_cache_path(provider: str) -> Path:
    return cache_dir() / f"{provider}-models.json"


def lock_path(target: Path) -> Path:
    """The lock file guarding read-modify-write of ``target``."""
    return target.with_name(target.name + ".lock")


def refresh_lock_path() -> Path:
    """Held while a refresh token is spent: one refresh at a time across processes."""
    return state_dir() / "auth-refresh.lock"
