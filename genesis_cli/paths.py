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


def locks_dir() -> Path:
    """Where every lock file of genesis lives (and stays: a released lock file is kept)."""
    return state_dir() / "locks"


def lock_path(target: Path) -> Path:
    """The lock file guarding read-modify-write of ``target``: in the state dir, named for
    genesis and ``target``'s absolute path. Never ``<target>.lock`` beside it: OpenClaw 9.x
    locks its config with that name and takes any file of that name for a lock held by
    someone else (and the lock file stays after release)."""
    import hashlib

    where = os.path.abspath(target).encode("utf-8", "surrogateescape")
    digest = hashlib.sha256(where).hexdigest()[:20]
    return locks_dir() / f"genesis-{target.name[:64]}-{digest}.lock"


def refresh_lock_path() -> Path:
    """Held while a refresh token is spent: one refresh at a time across processes."""
    return locks_dir() / "genesis-auth-refresh.lock"
