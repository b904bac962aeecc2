"""SIGKILL at random moments: the config, its backup and the store are always old or new.

100 kills in all (60 during onboarding, 40 during `auth refresh`), each bounded in time.
The moments are drawn from a seeded generator (GENESIS_CRASH_SEED overrides the seed).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
import tomllib
from pathlib import Path

import pytest

from genesis_cli.config.json5_doc import loads
from genesis_cli.store.auth_store import Profile
from tests.helpers import GOOD_KEY, genesis_command, store_oauth_profile, store_profiles

pytestmark = pytest.mark.slow  # left out of `make test-fast`

ONBOARD_KILLS = 60
REFRESH_KILLS = 40
COMMENTED = (Path(__file__).parent / "golden" / "commented.json5").read_bytes()
SEED = int(os.environ.get("GENESIS_CRASH_SEED", "20261123"))


def timed_run(argv: list[str]) -> float:
    started = time.monotonic()
    subprocess.run(argv, check=True, timeout=60, capture_output=True, stdin=subprocess.DEVNULL)
    return time.monotonic() - started


def kill_at(argv: list[str], delay: float) -> None:
    process = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def test_onboarding_killed_at_random_moments(models_server, state_dir, monkeypatch) -> None:
    monkeypatch.setenv("CHUTES_API_KEY", GOOD_KEY)
    models_server.valid_tokens = {GOOD_KEY}
    config, backup = state_dir / "genesis.json", state_dir / "genesis.json.bak"
    store = state_dir / "auth-profiles.toml"
    other = Profile(id="chutes:other", type="api_key", provider="chutes", key="cpk_other_key_1")

    def reset() -> None:
        config.write_bytes(COMMENTED)
        backup.unlink(missing_ok=True)
        store.unlink(missing_ok=True)
        store_profiles(other)

    state_dir.mkdir(mode=0o700)
    reset()
    old_store = store.read_bytes()
    argv = genesis_command("onboard", "--auth-choice", "chutes-api-key", "--non-interactive")
    duration = timed_run(argv)
    new_config, new_store = config.read_bytes(), store.read_bytes()
    assert new_config != COMMENTED and new_store != old_store
    rng = random.Random(SEED)
    seen = set()
    for _ in range(ONBOARD_KILLS):
        reset()
        kill_at(argv, rng.uniform(0, duration * 1.2))
        now_config, now_store = config.read_bytes(), store.read_bytes()
        assert now_config in (COMMENTED, new_config)
        assert now_store in (old_store, new_store)
        assert not backup.exists() or backup.read_bytes() == COMMENTED
        loads(now_config.decode())
        tomllib.loads(now_store.decode())
        seen.add((now_store == new_store, now_config == new_config))
    # The kills really landed in different phases, not all before or after the writes.
    assert len(seen) >= 2, seen


def test_the_next_writer_removes_temporary_files_a_killed_writer_left(
    models_server, state_dir
) -> None:
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").write_text("{}")
    left = [
        ".genesis.json.k1ll3d.tmp",
        ".genesis.json.bak.k1ll3d.tmp",
        ".auth-profiles.toml.k1ll3d.tmp",
    ]
    for name in left:
        (state_dir / name).write_text("half a file")
    unrelated = state_dir / ".notes.txt.tmp"
    unrelated.write_text("not ours")
    subprocess.run(
        genesis_command("onboard", "--non-interactive"),
        check=True,
        timeout=60,
        env={**os.environ, "CHUTES_API_KEY": GOOD_KEY},
        capture_output=True,
    )
    assert [name for name in left if (state_dir / name).exists()] == []
    assert unrelated.exists()


def test_auth_refresh_killed_at_random_moments(auth_server, state_dir) -> None:
    argv = genesis_command("auth", "refresh")
    store = state_dir / "auth-profiles.toml"

    store_oauth_profile(auth_server)
    duration = timed_run(argv)
    rng = random.Random(SEED + 1)
    outcomes = set()
    for _ in range(REFRESH_KILLS):
        old = store_oauth_profile(auth_server)
        old_bytes = store.read_bytes()
        kill_at(argv, rng.uniform(0, duration * 1.2))
        data = tomllib.loads(store.read_text())
        if store.read_bytes() == old_bytes:
            outcomes.add("old")
            continue
        now = data["profiles"]["chutes:alice"]
        # The new pair, whole: never a new access token with the old refresh token.
        assert now["access"] != old.access and now["refresh"] != old.refresh
        assert now["expires_at"] >= (old.expires_at or 0)
        outcomes.add("new")
    assert outcomes == {"old", "new"}, outcomes
