"""Handing the credential to other tools and the small commands users reach for."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys

import pytest

from genesis_cli.store import auth_store
from tests.helpers import (
    GOOD_KEY,
    finish,
    genesis_command,
    invoke,
    record,
    spawn_genesis,
    store_oauth_profile,
)

# Quotes, $, backslashes, backticks and globs: what a careless quoting would break.
TRICKY = 'cak_it\'s"quoted"$HOME`id`\\end!*'


def run(
    *args: str, env: dict[str, str], secret_out: bool = False
) -> subprocess.CompletedProcess[str]:
    import os

    full = {**os.environ, **env}
    result = subprocess.run(
        genesis_command(*args), env=full, capture_output=True, text=True, timeout=60
    )
    if not secret_out:
        record("stdout", result.stdout)
    record("stderr", result.stderr)
    return result


def out(*args: str, env: dict[str, str] | None = None):
    """A command that exists to print the credential (its stdout is not a leak)."""
    return invoke(*args, env=env, prints_secret=True)


# --- auth token ------------------------------------------------------------------------------


def test_auth_token_prints_the_credential_alone(state_dir) -> None:
    result = out("auth", "token", env={"CHUTES_API_KEY": GOOD_KEY})
    assert result.exit_code == 0
    assert result.stdout == GOOD_KEY + "\n"
    assert result.stderr == ""


def test_auth_token_without_a_credential_exits_3_with_nothing_on_stdout(state_dir) -> None:
    result = out("auth", "token")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "genesis onboard" in result.stderr


def test_auth_token_refreshes_an_expiring_oauth_profile_once(auth_server, state_dir) -> None:
    old = store_oauth_profile(auth_server, expires_in=30)
    result = out("auth", "token")
    assert result.exit_code == 0, result.stderr
    new = auth_store.load().profiles["chutes:alice"]
    assert new.access != old.access
    assert result.stdout == f"{new.access}\n"
    assert auth_server.refresh_requests == 1
    again = out("auth", "token")
    assert again.stdout == result.stdout and auth_server.refresh_requests == 1


def test_auth_token_for_a_named_profile(auth_server, state_dir) -> None:
    profile = store_oauth_profile(auth_server, expires_in=3600)
    result = out("auth", "token", "--profile", "chutes:alice", env={"CHUTES_API_KEY": GOOD_KEY})
    assert result.stdout == f"{profile.access}\n"
    assert out("auth", "token", "--profile", "chutes:nobody").exit_code == 3


def test_a_token_from_the_environment_is_handed_on_as_it_is(state_dir) -> None:
    result = out("auth", "token", env={"CHUTES_OAUTH_TOKEN": TRICKY})
    assert result.stdout == TRICKY + "\n"


def test_a_credential_with_a_control_character_is_never_printed(state_dir) -> None:
    for command in (("auth", "token"), ("env",), ("exec", "--", "true")):
        result = out(*command, env={"CHUTES_OAUTH_TOKEN": "cak_a\x1bb"})
        assert result.exit_code == 2, command
        assert result.stdout == ""


# --- env -------------------------------------------------------------------------------------


def test_env_is_read_back_exactly_by_a_real_sh(state_dir) -> None:
    script = 'eval "$(genesis env)" && printf "%s\\n%s" "$OPENAI_BASE_URL" "$OPENAI_API_KEY"'
    genesis_dir = str(genesis_command()[0].rsplit("/", 1)[0])
    result = subprocess.run(
        ["sh", "-c", script],
        env={"PATH": f"{genesis_dir}:/usr/bin:/bin", "CHUTES_OAUTH_TOKEN": TRICKY,
             "GENESIS_STATE_DIR": str(state_dir), "HOME": str(state_dir.parent)},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    record("stdout", result.stdout)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"https://llm.chutes.ai/v1\n{TRICKY}"


def test_env_is_read_back_exactly_by_a_real_fish(state_dir) -> None:
    fish = shutil.which("fish")
    if fish is None:
        import os

        if os.environ.get("CI"):
            pytest.fail("fish is required in CI (.ci/run installs it)")
        pytest.skip("fish is not installed here")
    genesis = genesis_command()
    script = f"{' '.join(genesis)} env --shell fish | source; and printf '%s' $OPENAI_API_KEY"
    result = subprocess.run(
        [fish, "--no-config", "-c", script],
        env={"PATH": "/usr/bin:/bin", "CHUTES_OAUTH_TOKEN": TRICKY,
             "GENESIS_STATE_DIR": str(state_dir), "HOME": str(state_dir.parent)},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    record("stdout", result.stdout)
    assert result.returncode == 0, result.stderr
    assert result.stdout == TRICKY


@pytest.mark.parametrize(
    ("shell", "line"),
    [
        ("sh", "export OPENAI_API_KEY='a'\\''b'"),
        ("fish", "set -gx OPENAI_API_KEY 'a\\'b'"),
        ("powershell", "$env:OPENAI_API_KEY = 'a''b'"),
        ("dotenv", "OPENAI_API_KEY='a\\'b'"),
    ],
)
def test_env_prints_exactly_two_lines_per_shell(state_dir, shell, line) -> None:
    result = out("env", "--shell", shell, env={"CHUTES_OAUTH_TOKEN": "a'b"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and lines[1] == line
    assert "OPENAI_BASE_URL" in lines[0]


def test_env_with_an_unknown_shell_or_no_credential(state_dir) -> None:
    assert out("env", "--shell", "tcsh", env={"CHUTES_API_KEY": GOOD_KEY}).exit_code == 2
    none = out("env")
    assert none.exit_code == 3 and none.stdout == ""


# --- exec ------------------------------------------------------------------------------------

NAMES = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "KEEP")
PRINT_ENV = f"import json, os; print(json.dumps({{k: os.environ.get(k) for k in {NAMES!r}}}))"


def test_exec_runs_the_command_with_the_two_variables_and_its_exit_code(state_dir) -> None:
    script = PRINT_ENV + "; raise SystemExit(7)"
    result = run(
        "exec", "--", sys.executable, "-c", script,
        env={"CHUTES_OAUTH_TOKEN": TRICKY, "KEEP": "kept", "OPENAI_API_KEY": "stale"},
        secret_out=True,
    )  # fmt: skip
    assert result.returncode == 7, result.stderr
    assert json.loads(result.stdout) == {
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",  # the CHUTES_BASE_URL in use
        "OPENAI_API_KEY": TRICKY,
        "KEEP": "kept",
    }


def test_exec_becomes_the_command_so_signals_are_its_own(state_dir) -> None:
    import os

    child = subprocess.Popen(
        genesis_command("exec", "--", sys.executable, "-c",
                        "import time; print('ready', flush=True); time.sleep(30)"),
        env={**os.environ, "CHUTES_API_KEY": GOOD_KEY}, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n"
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=10) == -signal.SIGTERM


def test_exec_usage_errors(state_dir) -> None:
    env = {"CHUTES_API_KEY": GOOD_KEY}
    no_dashes = run("exec", "true", env=env)
    assert no_dashes.returncode == 2 and "--" in no_dashes.stderr
    nothing = run("exec", "--", env=env)
    assert nothing.returncode == 2
    missing = run("exec", "--", "no-such-command-genesis", env=env)
    assert missing.returncode == 127
    assert "no-such-command-genesis: command not found" in missing.stderr
    no_credential = run("exec", "--", "true", env={})
    assert no_credential.returncode == 3 and no_credential.stdout == ""


# --- the small commands ----------------------------------------------------------------------


def test_auth_login_is_onboard(models_server, state_dir) -> None:
    login = invoke("auth", "login", "--help").stdout
    assert login.replace("cli auth login", "cli onboard") == invoke("onboard", "--help").stdout
    result = invoke(
        "auth", "login", "--auth-choice", "chutes-api-key", "--non-interactive",
        env={"CHUTES_API_KEY": GOOD_KEY},
    )  # fmt: skip
    assert result.exit_code == 0
    assert (state_dir / "auth-profiles.toml").exists()


def test_config_path(state_dir) -> None:
    document = json.loads(invoke("config", "path", "--json").stdout)
    assert document == {
        "stateDir": str(state_dir),
        "config": str(state_dir / "genesis.json"),
        "store": str(state_dir / "auth-profiles.toml"),
        "cache": str(state_dir / "cache" / "chutes-models.json"),
        "secrets": {},
    }
    assert not state_dir.exists()  # asking where changes nothing


def test_models_default_without_an_argument_prints_it(models_server, state_dir) -> None:
    before = json.loads(invoke("models", "default", "--json").stdout)
    assert before == {"default": "chutes/zai-org/GLM-4.7-TEE", "configured": False}
    invoke("onboard", "--non-interactive", env={"CHUTES_API_KEY": GOOD_KEY})
    invoke("models", "default", "chutes-pro")
    assert invoke("models", "default").stdout == "chutes/deepseek-ai/DeepSeek-V3.2-TEE\n"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_are_printed(shell) -> None:
    result = invoke("completion", shell)
    assert result.exit_code == 0
    assert "_GENESIS_COMPLETE" in result.stdout


@pytest.mark.slow
def test_aliases_refs_and_profiles_complete(auth_server, state_dir) -> None:
    store_oauth_profile(auth_server)
    env = {"COMP_WORDS": "genesis models default chutes-", "COMP_CWORD": "3",
           "_GENESIS_COMPLETE": "bash_complete"}  # fmt: skip
    aliases = run(env=env)
    assert {"chutes-fast", "chutes-pro", "chutes-vision"} <= {
        line.split(",", 1)[1] for line in aliases.stdout.splitlines()
    }
    refs = run(env={**env, "COMP_WORDS": "genesis models test chutes/zai-org/GLM-5"})
    assert "plain,chutes/zai-org/GLM-5-TEE" in refs.stdout.splitlines()
    words = "genesis auth token --profile chutes:"
    profiles = run(env={**env, "COMP_WORDS": words, "COMP_CWORD": "4"})
    assert "plain,chutes:alice" in profiles.stdout.splitlines()


# --- models list in a real terminal ----------------------------------------------------------


def terminal_table(columns: int, *args: str, env: dict[str, str] | None = None) -> str:
    """The transcript of ``models list`` on a real terminal ``columns`` wide."""
    env = {"TERM": "xterm", **(env or {})}
    return finish(
        spawn_genesis("models", "list", *args, env=env, drop=("COLUMNS",), columns=columns)
    )


def table(columns: int, *args: str) -> list[str]:
    text = terminal_table(columns, "--offline", *args)
    assert "Fetching" not in text  # nothing is fetched: no progress line
    plain = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", text)
    return [line.rstrip("\r") for line in plain.split("\n") if line.strip()]


def test_the_table_fits_80_columns(state_dir) -> None:
    lines = table(80)
    header = lines[0]
    for title in ("MODEL", "ALIASES", "CONTEXT", "$/1M IN / OUT"):
        assert title in header
    assert "REASONING" not in header and "TEE" not in header
    rows = [line for line in lines[2:] if "chutes/" in line and "default model" not in line]
    assert rows and all(len(line) <= 80 for line in lines[:-1])
    assert any("chutes-pro" in line and "1.00 / 1.00" in line for line in rows)
    assert any("…" in line for line in rows)  # a long ref shortened in the middle
    assert lines[-1].startswith("* default model chutes/zai-org/GLM-4.7-TEE · ")


def test_the_table_shows_every_column_at_200_or_with_wide(state_dir) -> None:
    for lines in (table(200), table(80, "--wide")):
        for title in ("MAX OUT", "INPUT", "REASONING", "TOOLS", "TEE"):
            assert title in lines[0]
        assert any("chutes/chutesai/Mistral-Small-3.2-24B-Instruct-2506" in line for line in lines)
        assert not any("…" in line for line in lines)
    assert all(len(line) <= 200 for line in table(200)[:-1])


def test_hostile_ids_and_aliases_never_reach_the_terminal_table(models_server, state_dir) -> None:
    """Ids from the network and an alias from the config, drawn at 80 columns."""
    rows = models_server.body["data"]
    for evil in ("x\x1b]52;c;ZWNobyBwd25lZA==\x07/y", "a\x1b[2J\x1b[H/b", "c\u202e/d\x9b31m"):
        rows.append({**rows[0], "id": evil})
    alias = "x\x1b]8;;https://evil.example/\x07y\u202e[bold]z"
    ref = "chutes/zai-org/GLM-5-TEE"
    models = {ref: {"alias": alias}}
    config = {"agents": {"defaults": {"model": {"primary": ref}, "models": models}}}
    state_dir.mkdir(parents=True, mode=0o700)
    (state_dir / "genesis.json").write_text(json.dumps(config))
    text = terminal_table(80, "--refresh", env={"NO_COLOR": "1"})
    assert "Fetching the Chutes model catalog…" in text  # the progress line, on a terminal
    assert "ZWNobyBwd25lZA" not in text and "evil.example" not in text
    assert [ch for ch in text if not ch.isprintable() and ch not in "\r\n"] == []
    row = next(line for line in text.split("\r\n") if ref in line)
    assert "xy[bold]z" in row and len(row) <= 80


def test_the_progress_line_is_said_once_and_never_in_json_mode(models_server, state_dir) -> None:
    assert terminal_table(200, "--refresh").count("Fetching") == 1
    assert "Fetching" not in terminal_table(200, "--refresh", "--json")
