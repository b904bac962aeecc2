"""Where genesis keeps its files. Computed when asked, environment first."""

from __future__ import annotations

import os
from pathlib import Path

from genesis_cli.errors import UsageError


def checked(name: str, value: str) -> str:
    """``value`` (of ``$name``, or made from it) when it is text; a value holding bytes that
    are not UTF-8 (lone surrogates to Python) or control characters is refused (exit 2)
    before anything is written: it could not be written into a config or shown."""
    if not value.isprintable():
        raise UsageError(
            f"${name} holds bytes that are not UTF-8 text or control characters",
            hint=f"set {name} to a plain absolute path or value (or unset it)",
        )
    return value


def _path_from_env(name: str) -> Path | None:
    """``$name`` as a path (``~`` expanded from a checked ``$HOME``), ``None`` when unset or
    empty."""
    value = os.environ.get(name)
    if not value:
        return None
    if value == "~" or value.startswith("~/"):
        return Path(checked(name, os.path.join(home(), checked(name, value)[2:])))
    if value.startswith("~"):  # ~user/...
        return Path(checked(name, os.path.expanduser(checked(name, value))))
    return Path(checked(name, value))


def absolute(name: str, path: Path) -> str:
    """``path`` (of ``$name``) made absolute, checked: a relative one takes the current
    directory's name."""
    return checked(name, os.path.abspath(path))


def state_dir() -> Path:
    env = _path_from_env("GENESIS_STATE_DIR")
    if env:
        return env
    return home() / ".genesis"


def home() -> Path:
    """``$HOME`` (checked), else the password database's home folder: Python would expand
    ``~`` with an empty ``$HOME`` to ``/``."""
    env = os.environ.get("HOME")  # as it is: a "~" in $HOME itself is not expanded
    if env:
        return Path(checked("HOME", env))
    try:
        import pwd  # not on Windows, where Path.home() reads USERPROFILE

        return Path(checked("HOME", pwd.getpwuid(os.getuid()).pw_dir))
    except (ImportError, KeyError):
        return Path.home()


def config_path() -> Path:
    env = _path_from_env("GENESIS_CONFIG_PATH")
    if env:
        return env
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
