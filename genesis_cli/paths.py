"""Where genesis keeps its files, computed when asked, environment first. Built as text, so
that ``auth token`` reads the store by ``auth_store_file()`` without pathlib (~2.5 ms)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from genesis_cli.errors import UsageError

if TYPE_CHECKING:
    from pathlib import Path


def checked(name: str, value: str) -> str:
    """``value`` (of ``$name``), refused (exit 2) if not UTF-8 text without control characters."""
    if not value.isprintable():
        raise UsageError(
            f"${name} holds bytes that are not UTF-8 text or control characters",
            hint=f"set {name} to a plain absolute path or value (or unset it)",
        )
    return value


def _from_env(name: str) -> str | None:
    """``$name`` (``~`` expanded from a checked ``$HOME``), ``None`` when unset or empty."""
    value = os.environ.get(name)
    if not value:
        return None
    if value == "~" or value.startswith("~/"):
        value = os.path.join(_home(), value[2:])
    elif value.startswith("~"):  # ~user/...
        value = os.path.expanduser(value)
    return checked(name, value)


def _path(text: str) -> Path:
    from pathlib import Path  # ~2.5 ms: see the module's docstring

    return Path(text)


def absolute(name: str, path: Path) -> str:
    return checked(name, os.path.abspath(path))


def _home() -> str:
    """``$HOME`` (checked), else the password database's: Python takes an empty one for ``/``."""
    env = os.environ.get("HOME")
    if env:
        return checked("HOME", env)
    try:
        import pwd  # not on Windows, where Path.home() reads USERPROFILE

        return checked("HOME", pwd.getpwuid(os.getuid()).pw_dir)
    except (ImportError, KeyError):
        return os.path.expanduser("~")


def home() -> Path:
    return _path(_home())


def _state_dir() -> str:
    return _from_env("GENESIS_STATE_DIR") or os.path.join(_home(), ".genesis")


def state_dir() -> Path:
    return _path(_state_dir())


def config_path() -> Path:
    return _path(_from_env("GENESIS_CONFIG_PATH") or os.path.join(_state_dir(), "genesis.json"))


def auth_store_file() -> str:
    return os.path.join(_state_dir(), "auth-profiles.toml")


def auth_store_path() -> Path:
    return _path(auth_store_file())


def catalog_cache_path(provider: str) -> Path:
    return state_dir() / "cache" / f"{provider}-models.json"


def lock_path(target: Path) -> Path:
    """The lock file guarding read-modify-write of ``target``, named for its absolute path.
    Never ``<target>.lock`` beside it: OpenClaw 9.x locks its config with that name and takes
    any such file (a released one stays) for a lock held by someone else."""
    import hashlib  # ~2.5 ms (OpenSSL): only a write takes a lock (`auth token` reads)

    digest = hashlib.sha256(os.path.abspath(target).encode("utf-8", "surrogateescape"))
    return state_dir() / "locks" / f"genesis-{target.name[:64]}-{digest.hexdigest()[:20]}.lock"


def refresh_lock_path() -> Path:
    """Held while a refresh token is spent: one refresh at a time across processes."""
    return state_dir() / "locks" / "genesis-auth-refresh.lock"
