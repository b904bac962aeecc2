"""Private directories, atomic writes and cross-process locks."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from genesis_cli.errors import ConfigError, GenesisError
from genesis_cli.paths import lock_path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
LOCK_TIMEOUT_SECONDS = 60.0


@contextlib.contextmanager
def reported_write_errors(path: Path) -> Iterator[None]:
    """Turn an OS error while changing ``path`` into one line and exit 4 (nothing changed:
    every write is atomic, so the old file is still whole)."""
    try:
        yield
    except OSError as exc:
        where = exc.filename or path
        raise ConfigError(
            f"cannot write {where}: {exc.strerror or type(exc).__name__}",
            hint="check the owner and permissions of the file and its directory; "
            "nothing was changed",
        ) from None


def read_if_present(path: Path) -> bytes | None:
    """The bytes of ``path``, ``None`` when it does not exist; any other failure to read it
    (a directory, no permission, a symlink loop) is one line and exit 4."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigError(
            f"{path} is a directory, not a file", hint="move it away (or point genesis elsewhere)"
        ) from None
    except PermissionError:
        raise ConfigError(
            f"cannot read {path}: permission denied",
            hint="fix its owner or permissions (chmod 600)",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) with mode 0700 from the start; leave an existing one be."""
    # mkdir's mode is applied at creation (minus the umask, which can only remove bits),
    # so the directory is never visible to others, not even for a moment.
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)


def write_target(path: Path) -> Path:
    """The file a write to ``path`` really changes: a symlink is written through, not replaced."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def atomic_write(path: Path, data: str | bytes, mode: int = PRIVATE_FILE_MODE) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new file.

    The temporary file is created in the same directory with ``mode`` from the start,
    fsynced, renamed over the target, and the directory is fsynced after the rename.
    """
    target = write_target(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            if mode != PRIVATE_FILE_MODE:
                os.fchmod(fh.fileno(), mode)
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(target: Path, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold the cross-process lock that guards read-modify-write of ``target``.

    Every writer of ``target`` (and of its ``.bak``) holds this lock while it writes, so a
    temporary file found under the lock was left by a writer that died (SIGKILL, power
    loss): it is removed.
    """
    real = write_target(target)
    with lock_file(lock_path(real), timeout):
        for pattern in (f".{real.name}.*.tmp", f".{real.name}.bak.*.tmp"):
            for leftover in real.parent.glob(pattern):
                with contextlib.suppress(OSError):
                    leftover.unlink()
        yield


@contextlib.contextmanager
def lock_file(lock_file: Path, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold the cross-process lock ``lock_file`` (created 0600 in a private directory)."""
    # filelock costs ~120 ms to import: only commands that write pay for it.
    import filelock

    ensure_private_dir(lock_file.parent)
    lock = filelock.FileLock(str(lock_file), timeout=timeout, mode=PRIVATE_FILE_MODE)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise GenesisError(
            f"another genesis process has held {lock_file} for {timeout:.0f}s",
            hint="wait for it to finish, or remove the lock file if no genesis is running",
        ) from exc
    try:
        yield
    finally:
        lock.release()
