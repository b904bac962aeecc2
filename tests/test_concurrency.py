"""20 processes at once on one state dir: onboarding, `models default` and `auth refresh`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from genesis_cli.config.json5_doc import loads
from genesis_cli.store import auth_store
from tests.helpers import GOOD_KEY, genesis_command, store_oauth_profile

pytestmark = pytest.mark.slow  # left out of `make test-fast`

COMMENTED = (Path(__file__).parent / "golden" / "commented.json5").read_text()
DEFAULTS = ["chutes/zai-org/GLM-5-TEE", "chutes/moonshotai/Kimi-K2.5-TEE", "glm-fast"]


def test_twenty_mixed_processes_lose_nothing(auth_server, models_server, state_dir) -> None:
    models_server.valid_tokens = None
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").write_text(COMMENTED)
    alice = store_oauth_profile(auth_server)

    commands = []
    for i in range(20):
        kind = i % 3
        if kind == 0:
            commands.append(
                genesis_command("onboard", "--auth-choice", "chutes-api-key", "--non-interactive")
            )
        elif kind == 1:
            commands.append(genesis_command("models", "default", DEFAULTS[i % len(DEFAULTS)]))
        else:
            commands.append(genesis_command("auth", "refresh"))
    env = {**os.environ, "CHUTES_API_KEY": GOOD_KEY}
    refresh_env = {k: v for k, v in env.items() if k != "CHUTES_API_KEY"}
    procs = [
        subprocess.Popen(
            argv,
            env=refresh_env if "refresh" in argv else env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv in commands
    ]
    results = [
        (argv, p.wait(timeout=120), p.stderr.read() if p.stderr else "")
        for argv, p in zip(commands, procs, strict=True)
    ]
    for proc in procs:
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
    failures = [(argv[-1], code, err) for argv, code, err in results if code != 0]
    assert failures == []

    profiles = auth_store.load().profiles
    assert set(profiles) == {"chutes:alice", "chutes:default"}
    assert profiles["chutes:default"].key == GOOD_KEY
    assert profiles["chutes:alice"].refresh != alice.refresh  # refreshed, chain intact
    assert auth_server.reused_refresh_tokens == 0

    text = (state_dir / "genesis.json").read_text()
    for line in COMMENTED.splitlines():
        if "primary" not in line:
            assert line in text, line
    data = loads(text)
    assert data["ui"] == {"theme": "dark"}
    assert data["models"]["mode"] == "merge"
    assert "openai" in data["models"]["providers"] and "chutes" in data["models"]["providers"]
    assert data["agents"]["defaults"]["workspace"] == "~/work"
    aliases = {e.get("alias") for e in data["agents"]["defaults"]["models"].values()}
    assert {"glm-fast", "gpt", "chutes-pro", "chutes-vision"} <= aliases
    assert data["auth"]["profiles"]["chutes:default"] == {"provider": "chutes", "mode": "api_key"}
    assert data["agents"]["defaults"]["model"]["primary"] in {
        "chutes/zai-org/GLM-4.7-TEE",
        "chutes/zai-org/GLM-5-TEE",
        "chutes/moonshotai/Kimi-K2.5-TEE",
        "chutes/zai-org/GLM-4.7-FP8",
    }
    loads((state_dir / "genesis.json.bak").read_text())
