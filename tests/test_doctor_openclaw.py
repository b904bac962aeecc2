"""`genesis doctor` on what OpenClaw needs: the exec reference runs an existing genesis, and
no key OpenClaw stored itself shadows genesis's credential."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.helpers import GOOD_KEY, doctor_checks, invoke, onboard

THEIR_KEY = "cpk_openclaw_own_key_0000"


@pytest.fixture
def onboarded(models_server, state_dir) -> Path:
    assert onboard().exit_code == 0
    return state_dir / "genesis.json"


def openclaw_agent_db(state: Path, profiles: dict) -> Path:
    """OpenClaw 2026.6.8's per-agent store, as its `models auth paste-api-key` leaves it."""
    folder = state / "agents" / "main" / "agent"
    folder.mkdir(parents=True)
    db = sqlite3.connect(folder / "openclaw-agent.sqlite")
    db.execute("CREATE TABLE auth_profile_store (store_key TEXT PRIMARY KEY, store_json TEXT)")
    document = {"version": 1, "profiles": profiles}
    db.execute("INSERT INTO auth_profile_store VALUES ('primary', ?)", (json.dumps(document),))
    db.commit()
    db.close()
    return folder / "openclaw-agent.sqlite"


def test_the_exec_reference_is_checked(onboarded) -> None:
    found = doctor_checks(invoke("doctor", "--json"))
    assert found["openclaw"]["status"] == "ok"
    assert (
        "genesis auth token" in found["openclaw"]["detail"]
        or "auth token" in (found["openclaw"]["detail"])
    )


def test_an_exec_reference_to_a_missing_program_fails_with_the_fix(onboarded) -> None:
    text = onboarded.read_text()
    entry = text.split('command: "', 1)[1].split('"', 1)[0]
    onboarded.write_text(text.replace(entry, "/nonexistent/venv/bin/genesis"))
    result = invoke("doctor", "--json")
    assert result.exit_code == 1
    check = doctor_checks(result)["openclaw"]
    assert check["status"] == "fail"
    assert "/nonexistent/venv/bin/genesis" in check["detail"]
    assert "genesis onboard" in check["fix"]


def test_keys_that_loosen_openclaws_checks_are_warned_about(onboarded) -> None:
    text = onboarded.read_text()
    onboarded.write_text(text.replace("timeoutMs:", "allowInsecurePath: true, timeoutMs:", 1))
    found = doctor_checks(invoke("doctor", "--json"))
    assert found["openclaw"]["status"] == "ok"
    check = found["openclaw exec"]
    assert check["status"] == "warn"
    assert "allowInsecurePath" in check["detail"] and "genesis onboard" in check["fix"]


def test_no_openclaw_check_before_onboarding(state_dir) -> None:
    assert "openclaw" not in doctor_checks(invoke("doctor", "--json"))


def test_a_key_openclaw_stored_itself_is_reported_with_how_to_remove_it(
    onboarded, tmp_path, monkeypatch
) -> None:
    state = tmp_path / "openclaw-state"
    openclaw_agent_db(
        state,
        {
            "chutes:manual": {"type": "api_key", "provider": "chutes", "key": THEIR_KEY},
            "openai:default": {"type": "api_key", "provider": "openai", "key": "sk-x"},
        },
    )
    monkeypatch.setenv("OPENCLAW_STATE_DIR", str(state))
    result = invoke("doctor", "--json")
    check = doctor_checks(result)["openclaw key"]
    assert check["status"] == "warn"
    assert "chutes:manual" in check["detail"] and "openai" not in check["detail"]
    assert "openclaw infer model auth logout --provider chutes" in check["fix"]
    assert THEIR_KEY not in result.stdout and "sk-x" not in result.stdout


def test_the_default_openclaw_state_dir_and_a_legacy_json_store_are_looked_at(
    onboarded, monkeypatch
) -> None:
    import os

    folder = Path(os.environ["HOME"]) / ".openclaw" / "agents" / "work" / "agent"
    folder.mkdir(parents=True)
    (folder / "auth-profiles.json").write_text(
        json.dumps({"profiles": {"chutes:default": {"provider": "chutes", "key": THEIR_KEY}}})
    )
    found = doctor_checks(invoke("doctor", "--json"))
    assert "chutes:default" in found["openclaw key"]["detail"]
    assert str(folder / "auth-profiles.json") in found["openclaw key"]["detail"]


def test_no_warning_when_openclaw_keeps_no_key_of_this_provider(
    onboarded, tmp_path, monkeypatch
) -> None:
    state = tmp_path / "openclaw-state"
    openclaw_agent_db(state, {"openai:default": {"type": "api_key", "provider": "openai"}})
    monkeypatch.setenv("OPENCLAW_STATE_DIR", str(state))
    assert "openclaw key" not in doctor_checks(invoke("doctor", "--json"))


def test_onboarding_says_so_too(models_server, state_dir, tmp_path, monkeypatch) -> None:
    state = tmp_path / "openclaw-state"
    openclaw_agent_db(state, {"chutes:default": {"type": "api_key", "provider": "chutes"}})
    monkeypatch.setenv("OPENCLAW_STATE_DIR", str(state))
    args = ("onboard", "--auth-choice", "chutes-api-key", "--non-interactive")
    result = invoke(*args, env={"CHUTES_API_KEY": GOOD_KEY})
    assert result.exit_code == 0
    (line,) = [line for line in result.stderr.splitlines() if "OpenClaw keeps" in line]
    assert "openclaw infer model auth logout --provider chutes" in line
