"""Where genesis keeps its files. Computed when asked, environment first."""

from __future__ import annotations

import os
from pathlib import Path

from genesis_cli.errors import UsageError


def _path_from_env(name: str) -> Path | None:
    """``$name`` as a path (``~`` expanded), ``None`` when unset or empty. A value holding
    bytes that are not UTF-8 (lone surrogates to Python) or control characters is refused
    (exit 2) before anything is written: it could not be written into a config or shown."""
    value = os.environ.get(name)
    if not value:
        return None
    if not value.isprintable():
        raise UsageError(
            f"${name} holds bytes that are not UTF-8 text or control characters",
            hint=f"set {name} to a plain path (or unset it)",
        )
    return Path(value)


def state_dir() -> Path:
    env = _path_from_env("GENESIS_STATE_DIR")
    if env:
        return env.expanduser()
    home = _path_from_env("HOME")
    return (home or Path.home()) / ".genesis"


def config_path() -> Path:
    env = _path_from_env("GENESIS_CONFIG_PATH")
    if env:
        return env.expanduser()
    return state_dir() / "genesis.json"


def auth_store_path() -> Path:
    return state_dir() / "auth-profiles.toml"


def catalog_cache_path(provider: str) -> Path:
    return state_dir() / "cache" / f"{provider}-models.json"


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
