"""Nothing from outside reaches a shell line: PowerShell's curly quotes, non-ASCII base URLs,
bash and zsh syntax, and model ids that completion would hand to the shell."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from genesis_cli.cli.handoff import quote
from tests.helpers import GOOD_KEY, genesis_command, invoke

PS_QUOTES = "'\u2018\u2019\u201a\u201b"


def test_powershell_doubles_every_character_that_closes_its_quotes() -> None:
    for q in PS_QUOTES:
        value = f"https://x.example/v1{q}; Remove-Item -Recurse ~ ;{q}"
        quoted = quote("powershell", value)
        inner = quoted[1:-1]
        assert quoted[0] == quoted[-1] == "'"
        # Inside, every quote character comes in pairs: none can end the string.
        runs = [len(run) for run in _runs(inner, PS_QUOTES)]
        assert runs and all(n % 2 == 0 for n in runs), quoted
        assert inner.replace(q * 2, q) == value


def _runs(text: str, chars: str) -> list[str]:
    runs, current = [], ""
    for ch in text:
        if ch in chars:
            current += ch
        elif current:
            runs.append(current)
            current = ""
    return runs + ([current] if current else [])


@pytest.mark.parametrize(
    "url", ["https://llm.chutes.ai/v1\u2019;calc;\u2019", "https://läm.example/v1"]
)
def test_a_base_url_with_a_non_ascii_character_is_refused(state_dir, url) -> None:
    result = invoke(
        "env", "--shell", "powershell", env={"CHUTES_API_KEY": GOOD_KEY, "CHUTES_BASE_URL": url}
    )
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "CHUTES_BASE_URL" in result.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_env_accepts_bash_and_zsh_with_sh_syntax(state_dir, shell) -> None:
    env = {"CHUTES_OAUTH_TOKEN": "a'b"}
    result = invoke("env", "--shell", shell, env=env, prints_secret=True)
    assert result.exit_code == 0, result.output
    assert result.stdout == invoke("env", env=env, prints_secret=True).stdout


def test_env_bash_is_read_back_exactly_by_a_real_bash(state_dir) -> None:
    tricky = "cak_a'b\"c$(id)`x`\\"
    script = 'eval "$(genesis env --shell bash)" && printf %s "$OPENAI_API_KEY"'
    genesis_dir = str(genesis_command()[0].rsplit("/", 1)[0])
    done = subprocess.run(
        ["bash", "--norc", "-c", script],
        env={"PATH": f"{genesis_dir}:/usr/bin:/bin", "CHUTES_OAUTH_TOKEN": tricky,
             "GENESIS_STATE_DIR": str(state_dir), "HOME": str(state_dir.parent)},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == tricky


EVIL_IDS = ["evil$(touch${IFS}pwned)", "a;b", "a`id`", "x'y", 'x"y', "a|b", "a&b", "a>b", "ü/x"]


def test_model_ids_a_shell_would_read_are_dropped_at_parse_time_with_one_warning(
    models_server, state_dir
) -> None:
    models_server.body["data"] += [{"id": bad} for bad in EVIL_IDS]
    result = invoke("models", "list", "--refresh", "--json", env={"CHUTES_API_KEY": GOOD_KEY})
    assert result.exit_code == 0, result.output
    listed = [m["id"] for m in json.loads(result.stdout)["models"]]
    assert listed and not set(listed) & set(EVIL_IDS)
    warnings = [line for line in result.stderr.splitlines() if "skipped" in line]
    assert len(warnings) == 1 and str(len(EVIL_IDS)) in warnings[0], result.stderr
    cache = (state_dir / "cache" / "chutes-models.json").read_text()
    assert "evil" not in cache and "touch" not in cache


def complete(words: str, cword: int, state_dir) -> list[str]:
    env = {**os.environ, "COMP_WORDS": words, "COMP_CWORD": str(cword),
           "_GENESIS_COMPLETE": "bash_complete"}  # fmt: skip
    done = subprocess.run(genesis_command(), env=env, capture_output=True, text=True, timeout=60)
    return [line.split(",", 1)[1] for line in done.stdout.splitlines()]


def test_completion_offers_only_shell_safe_candidates(state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    bad_alias = "al$(touch${IFS}pwned)"
    bad_ref = "chutes/evil$(touch${IFS}pwned)"
    document = {
        "agents": {
            "defaults": {
                "models": {
                    bad_ref: {"alias": "chutes-bad"},
                    "chutes/zai-org/GLM-5-TEE": {"alias": bad_alias},
                    "chutes/zai-org/GLM-4.7-TEE": {"alias": "chutes-ok"},
                }
            }
        }
    }
    (state_dir / "genesis.json").write_text(json.dumps(document))
    (state_dir / "genesis.json").chmod(0o600)
    offered = complete("genesis models default ", 3, state_dir)
    assert "chutes-ok" in offered
    assert offered and all(
        set(c) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/@+-")
        for c in offered
    ), offered
