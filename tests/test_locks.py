"""The cross-process lock every writer holds: another live holder means a clear timeout, a
holder that dies frees it at once, and nothing but a regular file is taken for it."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from genesis_cli import fsutil
from genesis_cli.errors import GenesisError
from genesis_cli.paths import refresh_lock_path

HOLD = """
import sys, time
from genesis_cli import fsutil
from genesis_cli.paths import refresh_lock_path
with fsutil.lock_file(refresh_lock_path()):
    print("held", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def holder(state_dir: Path):
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "held\n"
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)
        process.stdout.close()


def test_a_lock_another_process_holds_times_out_with_one_line(holder) -> None:
    started = time.monotonic()
    with pytest.raises(GenesisError) as caught, fsutil.lock_file(refresh_lock_path(), 0.3):
        pytest.fail("the lock was taken while another process held it")
    assert 0.3 <= time.monotonic() - started < 5
    assert caught.value.exit_code == 1
    assert "another genesis process has held" in caught.value.message
    assert "\n" not in caught.value.message


def test_a_holder_killed_with_sigkill_frees_the_lock_at_once(holder) -> None:
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=10)
    started = time.monotonic()
    with fsutil.lock_file(refresh_lock_path(), 5):
        assert time.monotonic() - started < 1
    assert refresh_lock_path().exists()  # the file stays; only the lock on it goes


def test_a_link_in_place_of_the_lock_file_is_refused(state_dir: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep")
    lock = refresh_lock_path()
    with fsutil.lock_file(lock):
        pass
    lock.unlink()
    lock.symlink_to(victim)
    with pytest.raises(GenesisError) as caught, fsutil.lock_file(lock, 1):
        pytest.fail("a symlink was taken for the lock file")
    assert caught.value.exit_code == 4
    assert victim.read_text() == "keep"


def test_the_lock_file_is_0600_whatever_the_umask(state_dir: Path) -> None:
    old = os.umask(0o277)
    try:
        with fsutil.lock_file(refresh_lock_path()):
            pass
    finally:
        os.umask(old)
    assert refresh_lock_path().stat().st_mode & 0o777 == 0o600
    with fsutil.lock_file(refresh_lock_path(), 1):
        pass


def test_a_file_system_that_says_eacces_for_a_held_lock_is_waited_on(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl

    real, calls = fcntl.flock, []

    def flock(fd: int, operation: int) -> None:
        calls.append(operation)
        if len(calls) <= 3:  # CIFS and some others report contention as EACCES
            raise PermissionError(errno.EACCES, "Permission denied")
        real(fd, operation)

    monkeypatch.setattr(fcntl, "flock", flock)
    with fsutil.lock_file(refresh_lock_path(), 5):
        assert len(calls) == 4


def test_a_file_system_without_locks_is_named(state_dir, monkeypatch) -> None:
    import fcntl

    def flock(fd: int, operation: int) -> None:
        raise OSError(errno.ENOSYS, "Function not implemented")

    monkeypatch.setattr(fcntl, "flock", flock)
    with pytest.raises(GenesisError) as caught, fsutil.lock_file(refresh_lock_path(), 1):
        pytest.fail("locked without a lock")
    assert "does not support file locks" in caught.value.message
    assert "GENESIS_STATE_DIR" in (caught.value.hint or "")


def test_a_forked_child_does_not_keep_the_lock(state_dir: Path) -> None:
    with fsutil.lock_file(refresh_lock_path()):
        child = os.fork()
        if child == 0:  # pragma: no cover - the child only waits to be killed
            time.sleep(30)
            os._exit(0)
    try:
        started = time.monotonic()
        probe = subprocess.run(
            [sys.executable, "-c", HOLD.replace("time.sleep(60)", "pass")],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert probe.stdout == "held\n", probe.stderr
        assert time.monotonic() - started < 10  # not the child's 30 s
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


def test_a_locks_folder_genesis_cannot_read_is_one_line_not_a_bug(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.helpers import onboard

    lstat = os.lstat

    def denied(path, *args, **kwargs):
        if "locks" in str(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return lstat(path, *args, **kwargs)

    monkeypatch.setattr(os, "lstat", denied)
    result = onboard()
    assert result.exit_code == 4
    assert "Permission denied" in result.stderr
    assert "bug" not in result.stderr
