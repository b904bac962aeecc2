"""The provider's own variable (``CHUTES_API_KEY``) handed on beside the two ``OPENAI_*``
ones: always by ``exec``, by ``env`` when asked (``--provider-vars``), for tools such as
opencode or LiteLLM that read it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.helpers import GOOD_KEY, genesis_command, invoke, record

NAMES = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "CHUTES_API_KEY")
PRINT_ENV = f"import json, os; print(json.dumps({{k: os.environ.get(k) for k in {NAMES!r}}}))"


def test_exec_sets_the_providers_own_variable_too(state_dir) -> None:
    from tests.test_handoff import TRICKY

    result = subprocess.run(
        genesis_command("exec", "--", sys.executable, "-c", PRINT_ENV),
        env={**os.environ, "CHUTES_OAUTH_TOKEN": TRICKY},
        capture_output=True,
        text=True,
        timeout=60,
    )
    record("stderr", result.stderr)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "OPENAI_API_KEY": TRICKY,
        "CHUTES_API_KEY": TRICKY,
    }


def test_env_prints_the_two_openai_lines_by_default(state_dir) -> None:
    result = invoke("env", env={"CHUTES_API_KEY": GOOD_KEY}, prints_secret=True)
    assert result.exit_code == 0
    assert [line.split("=")[0] for line in result.stdout.splitlines()] == [
        "export OPENAI_BASE_URL",
        "export OPENAI_API_KEY",
    ]


@pytest.mark.parametrize(
    ("shell", "line"),
    [
        ("sh", f"export CHUTES_API_KEY='{GOOD_KEY}'"),
        ("fish", f"set -gx CHUTES_API_KEY '{GOOD_KEY}'"),
        ("powershell", f"$env:CHUTES_API_KEY = '{GOOD_KEY}'"),
        ("dotenv", f"CHUTES_API_KEY='{GOOD_KEY}'"),
    ],
)
def test_env_provider_vars_adds_the_providers_variable(state_dir, shell, line) -> None:
    args = ("env", "--provider-vars", "--shell", shell)
    result = invoke(*args, env={"CHUTES_API_KEY": GOOD_KEY}, prints_secret=True)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and lines[2] == line
    assert "OPENAI_BASE_URL" in lines[0] and "OPENAI_API_KEY" in lines[1]


def test_env_provider_vars_without_a_credential_exits_3_with_nothing_on_stdout(state_dir) -> None:
    result = invoke("env", "--provider-vars")
    assert result.exit_code == 3 and result.stdout == ""
