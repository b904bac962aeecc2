"""Private directories, atomic writes and cross-process locks, safe in hostile places.

Nothing is written through a symlink or into anything but a regular file (only the config
may be a link: it is edited at its target); reads never hang on a FIFO nor exceed 16 MiB.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import stat
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from genesis_cli.errors import ConfigError, GenesisError
from genesis_cli.paths import lock_path, state_dir

if TYPE_CHECKING:
    from pathlib import Path

LOCK_TIMEOUT_SECONDS = 60.0
MAX_FILE_BYTES = 16 * 1024 * 1024


@contextlib.contextmanager
def reported_write_errors(path: Path) -> Iterator[None]:
    """An OS error while changing ``path`` as one line and exit 4 (the old file is still whole)."""
    try:
        yield
    except UnicodeError as exc:  # a name the file system's encoding cannot hold
        raise ConfigError(
            f"cannot write {path}: {type(exc).__name__}",
            hint=f"use a path of plain UTF-8 text; {path.name} is unchanged",
        ) from None
    except OSError as exc:
        # A rename names its target, never genesis's own temporary file (.<name>.<x>.tmp).
        where = exc.filename2 or exc.filename or path
        if os.path.basename(where).startswith(".") and str(where).endswith(".tmp"):
            where = path
        raise ConfigError(
            f"cannot write {where}: {exc.strerror or type(exc).__name__}",
            hint="check the owner and permissions of the file and its directory; "
            f"{os.path.basename(where)} is unchanged",
        ) from None


def _failed(doing: str, path: Path | str, exc: OSError) -> ConfigError:
    """``cannot <doing> <path>: <the OS's reason>`` (exit 4)."""
    return ConfigError(f"cannot {doing} {path}: {exc.strerror or type(exc).__name__}")


def _not_regular(path: Path | str, mode: int) -> ConfigError:
    if stat.S_ISDIR(mode):
        return ConfigError(
            f"{path} is a directory, not a file", hint="move it away (or point genesis elsewhere)"
        )
    if stat.S_ISLNK(mode):
        return ConfigError(
            f"{path} is a symlink, and genesis never writes or reads it through a link",
            hint="remove the link (genesis keeps a regular file there)",
        )
    return ConfigError(
        f"{path} is not a regular file (a FIFO, socket or device)",
        hint="move it away; genesis reads and writes only regular files there",
    )


def shell_path(path: Path | str) -> str:
    """``path`` to paste into a shell command: its link resolved (``chown -R`` would change
    the link, not what it points at), quoted (a space or ``;`` neither breaks nor adds)."""
    return shlex.quote(os.path.realpath(path))


def _another_users(path: Path | str, owner: int) -> ConfigError:
    """A file or folder of another user (left by ``sudo genesis ...``?): whose, and the fix."""
    return ConfigError(
        f"{path} belongs to another user (uid {owner}), not to you",
        hint=f"take it back: sudo chown $(id -un) {shell_path(path)}",
    )


def read_if_present(path: Path | str, *, follow: bool = True) -> bytes | None:
    """The bytes of ``path``, ``None`` if absent; what is not a readable regular file of at most
    16 MiB (with ``follow=False``, a symlink too) is one line and exit 4, never a hang."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except PermissionError:
        with contextlib.suppress(OSError):
            if (owner := os.stat(path).st_uid) != os.getuid():
                raise _another_users(path, owner) from None
        raise ConfigError(
            f"cannot read {path}: permission denied",
            hint="fix its owner or permissions (chmod 600)",
        ) from None
    except OSError as exc:
        if not follow and os.path.islink(path):
            raise _not_regular(path, stat.S_IFLNK) from None
        raise _failed("read", path, exc) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(path, mode)
        with open(fd, "rb", closefd=False) as fh:
            data = fh.read(MAX_FILE_BYTES + 1)  # one byte more tells "too big"
    except OSError as exc:
        raise _failed("read", path, exc) from None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(f"{path} is over 16 MiB: not a file genesis wrote", hint="move it away")
    return data


def check_private_dir(path: Path) -> None:
    """``path`` must be a directory of this user that nobody else can write (exit 4)."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise _failed("use", path, exc) from None
    if not stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"{path} is not a directory", hint="move it away")
    if info.st_uid != os.getuid():
        raise ConfigError(
            f"{path} belongs to another user (uid {info.st_uid}); genesis keeps your secrets "
            "only in a directory of your own",
            hint=f"take it back (sudo chown -R $(id -un) {shell_path(path)}), or point "
            "GENESIS_STATE_DIR (or GENESIS_CONFIG_PATH) at a directory you own",
        )
    if info.st_mode & 0o022:
        raise ConfigError(
            f"{path} is writable by group or others (mode {stat.S_IMODE(info.st_mode):o}), so "
            "anyone could swap the files genesis keeps there",
            hint=f"chmod 700 {shell_path(path)}",
        )


def regular_or_absent(path: Path) -> None:
    """Refuse (exit 4) a ``path`` that exists as a symlink or as anything but a regular file,
    or that cannot be looked at."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _failed("use", path, exc) from None
    if not stat.S_ISREG(mode):
        raise _not_regular(path, mode)


def check_writable(*files: Path) -> None:
    """Refuse now (exit 4) what writing ``files`` would refuse later, creating nothing."""
    for path in files:
        if path.parent.exists():
            check_private_dir(path.parent)
        regular_or_absent(path)


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` and its missing parents with mode 0700 from the start (mkdir applies
    it at creation; the umask only removes bits), then check it (exit 4)."""
    if not os.path.lexists(path.parent) and path.parent != path:
        ensure_private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    check_private_dir(path)


def write_target(path: Path) -> Path:
    """What a write to the config ``path`` changes: a symlink's target (the ``.bak`` beside it)."""
    return type(path)(os.path.realpath(path)) if path.is_symlink() else path


def _write_beside(path: Path, payload: bytes, *, replace: bool) -> None:
    """Write ``payload`` to a new temporary file (0600) beside ``path``, synced; with ``replace``
    rename it over ``path``, else (a probe) remove it. A failed write leaves no such file."""
    import tempfile  # ~3 ms (random, hashlib): only when a file is written

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fd)
        if replace:
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):  # already gone after the rename
            os.unlink(tmp)


def atomic_write(path: Path, data: str | bytes, *, follow: bool = False) -> None:
    """Replace ``path`` with ``data`` (0600): a crash leaves the old or the new file. A link or
    non-regular file there is refused (exit 4), but with ``follow`` a link's target is replaced."""
    target = write_target(path) if follow else path
    regular_or_absent(target)
    _write_beside(target, data.encode() if isinstance(data, str) else data, replace=True)
    with contextlib.suppress(OSError):  # the rename itself made durable, where possible
        fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def probe_write(path: Path, size: int) -> None:
    """Raise ``OSError`` (``ConfigError`` for a file or folder of another user) unless ``path``
    could be replaced now with ``size`` bytes, as ``atomic_write`` would: for a write that
    must not fail after something irrevocable (a refresh token spent at the server)."""
    regular_or_absent(path)
    # Setting the times (to their values) is refused for an immutable or append-only file or
    # folder (chattr +i/+a, chflags uchg): no rename may replace the file then. The folder
    # first, since a temporary file made in an append-only one could not be removed.
    for where in (path.parent, path):
        with contextlib.suppress(FileNotFoundError):
            info = os.stat(where)
            try:
                os.utime(where, ns=(info.st_atime_ns, info.st_mtime_ns))
            except PermissionError:
                if info.st_uid != os.getuid():  # only the owner sets times (`sudo genesis`?)
                    raise _another_users(where, info.st_uid) from None
                raise PermissionError(
                    errno.EPERM,
                    "it is immutable or append-only (see lsattr; chattr -i -a)",
                    str(where),
                ) from None
    _write_beside(path, b"\0" * size, replace=False)


@contextlib.contextmanager
def locked(target: Path, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold the cross-process lock that guards read-modify-write of ``target``. Every writer
    of ``target`` (and its ``.bak``) holds it, so a temporary file found under it was left
    by a writer that died (SIGKILL, power loss): it is removed."""
    real = write_target(target)
    with lock_file(lock_path(real), timeout):
        for leftover in real.parent.glob(f".{real.name}.*.tmp"):  # the .bak's too
            with contextlib.suppress(OSError):
                leftover.unlink()
        yield


@contextlib.contextmanager
def lock_file(lock_file: Path, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold the cross-process lock ``lock_file`` (``flock``, so it dies with its holder):
    created 0600 in the state dir's private ``locks`` (where OpenClaw never looks), the state
    dir checked first. Never through a link, nor on anything but a regular file."""
    import fcntl  # a C extension to load: only commands that write take a lock

    deadline = time.monotonic() + timeout
    fd = -1
    try:
        with reported_write_errors(lock_file):
            ensure_private_dir(state_dir())
            ensure_private_dir(lock_file.parent)
            regular_or_absent(lock_file)
            # Read-only: flock needs no more, so a lock file made under a strict umask opens.
            flags = os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
            fd = os.open(lock_file, flags, 0o600)
            if not stat.S_ISREG(mode := os.fstat(fd).st_mode):  # swapped in before the open
                raise _not_regular(lock_file, mode)
            if stat.S_IMODE(mode) != 0o600:
                os.fchmod(fd, 0o600)  # the umask applies at creation
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:  # some file systems (CIFS) say EACCES for "held"
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise GenesisError(
                            f"the file system of {lock_file.parent} does not support file "
                            f"locks ({exc.strerror})",
                            hint="set GENESIS_STATE_DIR to a folder on a local disk",
                        ) from None
                if time.monotonic() >= deadline:
                    raise GenesisError(
                        f"another genesis process has held {lock_file} for {timeout:g}s",
                        hint="wait for it to finish; the lock goes when that process exits",
                    )
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)  # not left to a forked child's copy of fd
    finally:
        if fd >= 0:
            os.close(fd)
