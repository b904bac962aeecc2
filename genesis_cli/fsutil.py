"""Private directories, atomic writes and cross-process locks, safe in hostile places.

Secrets live in the state dir, so it must be the user's own and writable by nobody else.
The store, the cache, the config's ``.bak``, lock and temporary files are never written
through a symlink or into anything but a regular file. Only the config itself may be a link
(dotfiles): it is edited in place at its target, when the target's directory is private.
Reads never hang on a FIFO and never take more than ``MAX_FILE_BYTES``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

from genesis_cli.errors import ConfigError, GenesisError
from genesis_cli.paths import lock_path, state_dir

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
LOCK_TIMEOUT_SECONDS = 60.0
MAX_FILE_BYTES = 16 * 1024 * 1024


@contextlib.contextmanager
def reported_write_errors(path: Path) -> Iterator[None]:
    """Turn an OS error while changing ``path`` into one line and exit 4 (nothing changed:
    every write is atomic, so the old file is still whole)."""
    try:
        yield
    except UnicodeError as exc:  # a name the file system's encoding cannot hold
        raise ConfigError(
            f"cannot write {path}: {type(exc).__name__}",
            hint=f"use a path of plain UTF-8 text; {path.name} is unchanged",
        ) from None
    except OSError as exc:
        # The file named: a rename's target over its source, and never a temporary file
        # of genesis's (``.<name>.<random>.tmp``), which the user never sees.
        where = exc.filename2 or exc.filename or path
        if os.path.basename(where).startswith(".") and str(where).endswith(".tmp"):
            where = path
        raise ConfigError(
            f"cannot write {where}: {exc.strerror or type(exc).__name__}",
            hint="check the owner and permissions of the file and its directory; "
            f"{os.path.basename(where)} is unchanged",
        ) from None


def _not_regular(path: Path, mode: int) -> ConfigError:
    if stat.S_ISDIR(mode):
        return ConfigError(
            f"{path} is a directory, not a file", hint="move it away (or point genesis elsewhere)"
        )
    return ConfigError(
        f"{path} is not a regular file (a FIFO, socket or device)",
        hint="move it away; genesis reads and writes only regular files there",
    )


def _symlink(path: Path) -> ConfigError:
    return ConfigError(
        f"{path} is a symlink, and genesis never writes or reads it through a link",
        hint="remove the link (genesis keeps a regular file there)",
    )


def read_if_present(path: Path, *, follow: bool = True) -> bytes | None:
    """The bytes of ``path``, ``None`` when it does not exist; anything else that cannot be
    read as a regular file of at most 16 MiB (a directory, a FIFO, no permission, a symlink
    loop, or with ``follow=False`` a symlink) is one line and exit 4, never a hang."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise _not_regular(path, stat.S_IFDIR) from None
    except PermissionError:
        raise ConfigError(
            f"cannot read {path}: permission denied",
            hint="fix its owner or permissions (chmod 600)",
        ) from None
    except OSError as exc:
        if not follow and path.is_symlink():
            raise _symlink(path) from None
        raise ConfigError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(path, info.st_mode)
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)  # bounded: one byte more tells "too big"
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(
            f"{path} is over {MAX_FILE_BYTES // (1024 * 1024)} MiB: not a file genesis wrote",
            hint="move it away",
        )
    return data


def check_private_dir(path: Path) -> None:
    """``path`` must be a directory of this user that nobody else can write (exit 4)."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise ConfigError(f"cannot use {path}: {exc.strerror or type(exc).__name__}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"{path} is not a directory", hint="move it away")
    if info.st_uid != os.getuid():
        raise ConfigError(
            f"{path} belongs to another user (uid {info.st_uid}); genesis keeps your secrets "
            "only in a directory of your own",
            hint="point GENESIS_STATE_DIR (or GENESIS_CONFIG_PATH) at a directory you own",
        )
    if info.st_mode & 0o022:
        raise ConfigError(
            f"{path} is writable by group or others (mode {stat.S_IMODE(info.st_mode):o}), so "
            "anyone could swap the files genesis keeps there",
            hint=f"chmod 700 {path}",
        )


def regular_or_absent(path: Path) -> None:
    """Refuse (exit 4) a ``path`` that exists as a symlink or as anything but a regular file."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise _symlink(path)
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(path, info.st_mode)


def check_writable(*files: Path) -> None:
    """Refuse now (exit 4) what writing ``files`` later would refuse: a directory that is not
    the user's own and private, a link or non-file in place of a file. Creates nothing: for
    a command that must check everything before it writes anything."""
    for path in files:
        if path.parent.exists():
            check_private_dir(path.parent)
        regular_or_absent(path)


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` and every missing parent with mode 0700 from the start; then check it
    is this user's and writable by nobody else (exit 4 otherwise)."""
    missing: list[Path] = []
    current = path
    while not os.path.lexists(current) and current != current.parent:
        missing.append(current)
        current = current.parent
    # mkdir's mode is applied at creation (minus the umask, which can only remove bits),
    # so a new directory is never visible to others, not even for a moment.
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(directory, PRIVATE_DIR_MODE)
    check_private_dir(path)


def write_target(path: Path) -> Path:
    """The file a write to the config ``path`` really changes: a symlink the user made is
    edited at its target (and the ``.bak`` goes beside the target)."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _temp_beside(path: Path) -> tuple[int, str]:
    """A new temporary file in ``path``'s directory, for an atomic replace of ``path``."""
    import tempfile  # ~3 ms (random, hashlib): only when a file is written

    return tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")


def atomic_write(
    path: Path, data: str | bytes, mode: int = PRIVATE_FILE_MODE, *, follow: bool = False
) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new file.
    A symlink or non-regular file there is refused (exit 4), except with ``follow`` (the
    config), where a symlink's target is replaced."""
    target = write_target(path) if follow else path
    regular_or_absent(target)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = _temp_beside(target)
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


def probe_write(path: Path, size: int) -> None:
    """Raise ``OSError`` unless ``path`` could be replaced now with ``size`` bytes: the same
    temporary file, write and fsync as ``atomic_write``, then removed. For a write that must
    not fail after something irrevocable (a refresh token spent at the server). A file with
    the immutable or append-only flag (``chattr +i``/``+a``, ``chflags uchg``) is refused
    too: no rename may replace it, though its folder is writable."""
    regular_or_absent(path)
    if _flagged_unreplaceable(path):
        raise PermissionError(
            errno.EPERM, "it is immutable or append-only (see lsattr; chattr -i -a)", str(path)
        )
    fd, tmp = _temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(b"\0" * size)
            fh.flush()
            os.fsync(fh.fileno())
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _flagged_unreplaceable(path: Path) -> bool:
    """``path`` has the immutable or append-only flag: read from ``st_flags`` where the
    system has it (BSD, macOS), else on Linux with the ``FS_IOC_GETFLAGS`` ioctl (what
    ``lsattr`` reads); a file system without such flags answers no."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    flags = getattr(info, "st_flags", None)
    if flags is not None:
        return bool(
            flags & (stat.UF_IMMUTABLE | stat.UF_APPEND | stat.SF_IMMUTABLE | stat.SF_APPEND)
        )
    if not sys.platform.startswith("linux") or not stat.S_ISREG(info.st_mode):
        return False
    import fcntl  # only on the refresh path
    import struct

    get_flags = 0x80006601 | (struct.calcsize("l") << 16)  # _IOR('f', 1, long)
    immutable, append_only = 0x10, 0x20  # FS_IMMUTABLE_FL, FS_APPEND_FL
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        buffer = bytearray(8)
        fcntl.ioctl(fd, get_flags, buffer)
    except OSError:  # no such flags here (tmpfs of old kernels, network file systems)
        return False
    finally:
        os.close(fd)
    return bool(struct.unpack("i", buffer[:4])[0] & (immutable | append_only))


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
    regular_or_absent(lock_path(real))
    with lock_file(lock_path(real), timeout):
        for pattern in (f".{real.name}.*.tmp", f".{real.name}.bak.*.tmp"):
            for leftover in real.parent.glob(pattern):
                with contextlib.suppress(OSError):
                    leftover.unlink()
        yield


@contextlib.contextmanager
def lock_file(lock_file: Path, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold the cross-process lock ``lock_file`` (created 0600 in a private directory: the
    state dir's ``locks``, where OpenClaw never looks; the state dir is checked first)."""
    # filelock costs ~120 ms to import: only commands that write pay for it.
    import filelock

    lock = filelock.FileLock(str(lock_file), timeout=timeout, mode=PRIVATE_FILE_MODE)
    try:
        with reported_write_errors(lock_file):
            ensure_private_dir(state_dir())
            ensure_private_dir(lock_file.parent)
            regular_or_absent(lock_file)
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
