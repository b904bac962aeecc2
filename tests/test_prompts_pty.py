"""A real terminal (pexpect): the method menu and the hidden API-key prompt."""

from __future__ import annotations

import pytest

from tests.helpers import GOOD_KEY, decline_suggestions, finish, spawn_genesis

pytestmark = pytest.mark.slow  # left out of `make test-fast`


@pytest.fixture
def spawn(models_server, state_dir):
    models_server.valid_tokens = {GOOD_KEY}
    return spawn_genesis


def test_hidden_prompt_does_not_echo_the_key(spawn, state_dir) -> None:
    child = spawn("onboard", "--auth-choice", "chutes-api-key")
    child.expect("Chutes API key \\(input hidden\\): ")
    child.sendline(GOOD_KEY)
    decline_suggestions(child)
    child.expect("Connected to Chutes")
    transcript = finish(child)
    assert "Connected to Chutes" in transcript
    assert GOOD_KEY not in transcript
    assert GOOD_KEY[:12] not in transcript
    assert GOOD_KEY[-4:] in (state_dir / "auth-profiles.toml").read_text()


def test_menu_then_prompt(spawn, state_dir) -> None:
    child = spawn("onboard")
    child.expect("2\\) Paste an API key")
    child.expect("Choice \\[1\\]: ")
    child.sendline("2")
    child.expect("input hidden\\): ")
    child.sendline(GOOD_KEY)
    decline_suggestions(child)
    finish(child)
    assert (state_dir / "genesis.json").exists()


def test_env_key_is_offered_masked(spawn, state_dir) -> None:
    child = spawn("onboard", "--auth-choice", "chutes-api-key", env={"CHUTES_API_KEY": GOOD_KEY})
    child.expect(f"Use the API key from CHUTES_API_KEY \\(cpk_…{GOOD_KEY[-4:]}\\)\\? \\[Y/n\\]: ")
    child.sendline("y")
    decline_suggestions(child)
    finish(child)
    assert GOOD_KEY not in child.logfile_read.getvalue()


def test_api_key_stdin_refuses_a_terminal(spawn, state_dir) -> None:
    child = spawn("onboard", "--auth-choice", "chutes-api-key", "--api-key-stdin")
    child.expect("standard input is a terminal")
    finish(child, 2)
    assert not state_dir.exists()


def test_a_config_genesis_cannot_change_fails_before_the_key_is_asked(spawn, state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").write_text("{ models: [oops")  # does not parse
    child = spawn("onboard", "--auth-choice", "chutes-api-key")
    index = child.expect(["genesis.json: line 1", "input hidden\\): "])
    assert index == 0, "the key was asked for before the config was found unusable"
    finish(child, 4)
    assert not (state_dir / "auth-profiles.toml").exists()
