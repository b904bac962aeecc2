"""Edges a new user hits: help for ``exec``, a closed pipe, click's usage errors."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.helpers import genesis_command, invoke, onboard


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_exec_help_prints_help(flag: str) -> None:
    result = invoke("exec", flag)
    assert result.exit_code == 0, result.output
    assert " exec [OPTIONS] -- CMD [ARG]...\n" in result.stdout
    assert "Run CMD" in result.stdout
    assert result.stderr == ""


def test_exec_without_the_separator_is_still_a_usage_error() -> None:
    result = invoke("exec", "ls")
    assert result.exit_code == 2
    assert "put the command after --" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["models", "list", "--bogus"],
        ["--bogus"],
        ["no-such-command"],
        ["env", "--shell", "tcsh"],
        ["models", "default", "a", "b"],
        ["completion", "tcsh"],
        ["onboard", "--auth-choice", "chutes-api-key", "--default", "x", "--keep-default"],
    ],
)
def test_usage_errors_are_one_error_line_and_exit_2(args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: "), result.stderr
    assert len(lines) <= 2 and all(line.startswith("  ") for line in lines[1:]), result.stderr
    assert "Usage:" not in result.stderr and "Try '" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("args", [[], ["models"], ["auth"]])
def test_a_bare_group_still_shows_its_help(args: list[str]) -> None:
    result = invoke(*args)
    assert "Usage:" in result.output and "Commands:" in result.output
    assert "error:" not in result.output


@pytest.mark.parametrize(
    "args",
    [["auth", "status"], ["config", "path"], ["doctor"], ["models", "list", "--offline"]],
)
def test_writing_into_a_closed_pipe_ends_quietly(args: list[str], state_dir) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before genesis writes anything
    try:
        done = subprocess.run(
            genesis_command(*args),
            stdout=write_end,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            timeout=60,
            env={**os.environ, "GENESIS_DEBUG": ""},
        )
    finally:
        os.close(write_end)
    assert done.returncode in (0, 141), done.stderr
    assert done.stderr == b""


def test_stdout_and_stderr_into_one_closed_pipe_end_quietly(state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    config = state_dir / "genesis.json"
    config.write_text('{agents: {defaults: {model: {primary: "chutes/gone"}}}}')
    config.chmod(0o600)  # a default that is not in the catalog: a warning on stderr
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            genesis_command("models", "list", "--offline"),
            stdout=write_end,
            stderr=write_end,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert done.returncode in (0, 141)


OUTPUT_COMMANDS = [["models", "list", "--offline"], ["config", "path", "--json"], ["--version"]]
WRITERS = [["--help"], ["models", "list", "--offline", "--json"], ["auth", "token"], ["env"]]


@pytest.mark.parametrize("args", [*OUTPUT_COMMANDS, ["exec", "--", "true"]])
def test_a_closed_stdout_ends_quietly(args: list[str], state_dir) -> None:
    done = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", *genesis_command(*args)],
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        timeout=60,
        env={**os.environ, "GENESIS_DEBUG": "", "CHUTES_API_KEY": "cpk_closed.stdout.test"},
    )
    assert done.returncode in (0, 141), done.stderr
    assert done.stderr == b""


@pytest.mark.parametrize("args", [*OUTPUT_COMMANDS, *WRITERS, ["completion", "bash"]])
def test_a_full_disk_on_stdout_is_one_error_line_and_exit_1(args: list[str], state_dir) -> None:
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            genesis_command(*args),
            stdout=full,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            timeout=60,
            env={**os.environ, "GENESIS_DEBUG": "", "CHUTES_API_KEY": "cpk_full.stdout.test"},
        )
    assert done.returncode == 1
    assert done.stderr == b"error: cannot write the output: No space left on device\n"


@pytest.mark.parametrize(
    ("args", "choices"),
    [
        (["completion", "tcsh"], "bash, zsh or fish"),
        (["env", "--shell", "tcsh"], "sh, bash, zsh, fish, powershell or dotenv"),
    ],
)
def test_an_unknown_shell_names_the_choices(args: list[str], choices: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == f"error: unknown shell 'tcsh': choose {choices}"


def test_default_and_keep_default_together_are_refused(state_dir) -> None:
    result = onboard("--default", "chutes-pro", "--keep-default")
    assert result.exit_code == 2
    assert "--default and --keep-default contradict each other" in result.stderr
    assert not state_dir.exists()
