"""The terminal experience: Ctrl-C, colour, the summary, help examples, shell completion."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pexpect
import pytest

from tests.helpers import GOOD_KEY, decline_suggestions, finish, invoke, spawn_genesis

pytestmark = pytest.mark.slow  # left out of `make test-fast`


def spawn(*args: str, env: dict[str, str] | None = None) -> pexpect.spawn:
    return spawn_genesis(*args, env=env)


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_ctrl_c_while_waiting_for_the_callback_exits_130_and_frees_the_port(
    auth_server, redirect_uri, state_dir
) -> None:
    port = urlsplit(redirect_uri).port
    child = spawn("onboard", "--auth-choice", "chutes", "--browser", env={"BROWSER": "true %s"})
    child.expect("Waiting for the browser")
    assert not port_is_free(port)
    child.kill(signal.SIGINT)
    finish(child, 130)
    tail = [line for line in child.logfile_read.getvalue().splitlines() if line.strip()][-1]
    assert tail.strip() == "error: interrupted"
    deadline = time.monotonic() + 5
    while not port_is_free(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert port_is_free(port)
    assert not state_dir.exists()


def test_ctrl_c_at_the_key_prompt_exits_130_and_writes_nothing(state_dir) -> None:
    child = spawn("onboard", "--auth-choice", "chutes-api-key")
    child.expect("input hidden")
    child.sendintr()
    finish(child, 130)
    assert not state_dir.exists()


def test_colour_on_a_terminal_and_none_with_no_color_or_a_dumb_terminal(state_dir) -> None:
    def transcript(env: dict[str, str]) -> str:
        return finish(spawn("models", "list", "--offline", env=env))

    colour = re.compile(r"\x1b\[[0-9;]*m")  # SGR: colours and bold, not cursor movement
    assert "\x1b[1mMODEL " in transcript({"TERM": "xterm-256color"})  # the header bold
    assert not colour.search(transcript({"TERM": "xterm-256color", "NO_COLOR": "1"}))
    assert not colour.search(transcript({"TERM": "dumb"}))


def test_onboarding_on_a_terminal_ends_with_the_summary(models_server, state_dir) -> None:
    child = spawn(
        "onboard",
        "--auth-choice",
        "chutes-api-key",
        env={"CHUTES_API_KEY": GOOD_KEY, "TERM": "xterm"},
    )
    child.expect("\\[Y/n\\]")
    child.sendline("")
    decline_suggestions(child)
    output = finish(child)
    assert "\x1b[1mConnected to Chutes (API key)\x1b[0m" in output  # the title bold
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output)
    assert "Connected to Chutes (API key)\r\n  profile   chutes:default (cpk_…" in plain
    assert GOOD_KEY not in output


def test_nothing_decorative_when_stdout_is_not_a_terminal(models_server, state_dir) -> None:
    result = invoke("onboard", "--non-interactive", env={"CHUTES_API_KEY": GOOD_KEY})
    assert result.stdout.startswith("Connected to Chutes (API key)\n  profile   chutes:default")
    assert "╭" not in result.stdout and "\x1b[" not in result.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["onboard"],
        ["models", "list"],
        ["models", "default"],
        ["auth", "status"],
        ["auth", "refresh"],
        ["auth", "logout"],
        ["doctor"],
    ],
)
def test_each_command_help_shows_an_example(command) -> None:
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and "genesis " in result.stdout.split("Examples:")[1]


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "_genesis_completion"),
        ("zsh", "#compdef genesis"),
        ("fish", "complete"),
    ],
)
def test_shell_completion_scripts_are_generated(shell, marker) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "genesis_cli"],
        env={**os.environ, "_GENESIS_COMPLETE": f"{shell}_source"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0
    assert marker in result.stdout
