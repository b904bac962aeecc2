"""The cross-process lock every writer holds: another live holder means a clear timeout, a
holder that dies frees it at once, and nothing but a regular file is taken for it."""

from __future__ import annotations

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
