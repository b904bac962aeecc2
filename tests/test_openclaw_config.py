"""What onboarding leaves in an OpenClaw config so that OpenClaw can use it: every model
allowed, no lock file of OpenClaw's name, OpenClaw's backups tolerated, and the credential
handed over by reference (an exec secret provider that runs this genesis)."""

from __future__ import annotations

from pathlib import Path

import pytest

from genesis_cli.config.json5_doc import loads
from tests.helpers import GOOD_KEY, invoke, snapshot


@pytest.fixture
def api(models_server):
    models_server.valid_tokens = {GOOD_KEY}
    return models_server


def onboard(*extra: str, env: dict[str, str] | None = None):
    args = ["onboard", "--auth-choice", "chutes-api-key", "--non-interactive", *extra]
    return invoke(*args, env={"CHUTES_API_KEY": GOOD_KEY, **(env or {})})


def openclaw_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "openclaw"
    folder.mkdir(mode=0o700)
    return folder


# --- the allowlist ---------------------------------------------------------------------------


def test_a_model_policy_allow_that_is_not_a_list_exits_4_and_writes_nothing(api, state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    config = state_dir / "genesis.json"
    config.write_text('{\n  agents: { defaults: { modelPolicy: { allow: "chutes/*" } } },\n}\n')
    before = snapshot(state_dir)
    result = onboard()
    assert result.exit_code == 4, result.stderr
    assert "'agents.defaults.modelPolicy.allow' is not a list" in result.stderr
    assert "line 2" in result.stderr
    assert snapshot(state_dir) == before
    assert api.requests == []  # found before anything was sent


def test_a_migrated_file_gets_every_ref_in_model_policy(api, state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    config = state_dir / "genesis.json"
    config.write_text(
        "{\n  meta: { migrations: { modelPolicyAllowlist: true } },\n"
        '  agents: { defaults: { modelPolicy: { allow: ["chutes/zai-org/GLM-4.7-FP8"] } } },\n}\n'
    )
    assert onboard().exit_code == 0
    data = loads(config.read_text())
    allowed = data["agents"]["defaults"]["modelPolicy"]["allow"]
    models = data["models"]["providers"]["chutes"]["models"]
    for ref in [f"chutes/{m['id']}" for m in models] + ["chutes/zai-org/GLM-4.7-TEE"]:
        assert ref in allowed
        assert ref in data["agents"]["defaults"]["models"]
    assert data["meta"] == {"migrations": {"modelPolicyAllowlist": True}}


# --- lock files and backups ------------------------------------------------------------------


def test_no_lock_file_is_left_beside_the_config_or_the_store(api, state_dir, tmp_path) -> None:
    folder = openclaw_dir(tmp_path)
    config = folder / "openclaw.json"
    config.write_text("{}\n")
    assert onboard(env={"GENESIS_CONFIG_PATH": str(config)}).exit_code == 0
    assert sorted(p.name for p in folder.iterdir()) == ["openclaw.json", "openclaw.json.bak"]
    assert not list(state_dir.glob("*.lock*"))
    locks = list((state_dir / "locks").iterdir())
    assert locks and all(p.suffix == ".lock" for p in locks)


def test_a_lock_file_of_openclaws_name_does_not_stop_genesis(api, state_dir, tmp_path) -> None:
    folder = openclaw_dir(tmp_path)
    config = folder / "openclaw.json"
    config.write_text("{}\n")
    (folder / "openclaw.json.lock").write_text("")  # OpenClaw's, not genesis's
    assert onboard(env={"GENESIS_CONFIG_PATH": str(config)}).exit_code == 0
    assert (folder / "openclaw.json.lock").read_text() == ""


def test_backups_openclaw_wrote_do_not_stop_genesis(api, state_dir, tmp_path) -> None:
    folder = openclaw_dir(tmp_path)
    config = folder / "openclaw.json"
    config.write_text('{ tools: { profile: "coding" } }\n')
    for name, text in [("openclaw.json.bak", "{ a: 1 }\n"), ("openclaw.json.bak.1", "{ a: 0 }\n")]:
        (folder / name).write_text(text)
        (folder / name).chmod(0o644)  # as another program may leave it
    assert onboard(env={"GENESIS_CONFIG_PATH": str(config)}).exit_code == 0
    assert (folder / "openclaw.json.bak").read_text() == '{ tools: { profile: "coding" } }\n'
    assert (folder / "openclaw.json.bak.1").read_text() == "{ a: 0 }\n"
    assert loads(config.read_text())["tools"] == {"profile": "coding"}
