"""``genesis models list`` through CliRunner: exit codes, stdout and stderr apart."""

from __future__ import annotations

import io
import json
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import bundled_count, finish, spawn_genesis
from tests.helpers import invoke as run


def test_table_lists_bundled_models_and_marks_the_default() -> None:
    result = run("models", "list")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("* chutes/zai-org/GLM-4.7-TEE") for line in lines)
    assert "chutes-fast" in next(line for line in lines if "GLM-4.7-FP8" in line)
    assert "202,752" in result.stdout
    assert "0.40 / 2.00" in result.stdout
    assert f"{bundled_count()} models · source: bundled" in lines[-1]
    assert "\x1b[" not in result.stdout  # no colour when stdout is not a terminal
    assert result.stderr == ""


def test_json_is_the_only_thing_on_stdout() -> None:
    result = run("models", "list", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["provider"] == "chutes"
    assert document["source"] == "bundled"
    assert document["default"] == "chutes/zai-org/GLM-4.7-TEE"
    assert document["warnings"] == []
    first = document["models"][0]
    assert set(first) == {
        "ref",
        "id",
        "aliases",
        "contextWindow",
        "maxTokens",
        "input",
        "reasoning",
        "tools",
        "structuredOutputs",
        "confidential",
        "deploymentId",
        "cost",
    }
    assert first["ref"] == "chutes/" + first["id"]
    assert set(first["cost"]) == {"input", "output", "cacheRead"}
    fast = next(m for m in document["models"] if m["id"] == "zai-org/GLM-4.7-FP8")
    assert fast["aliases"] == ["chutes-fast"]


def test_refresh_lists_the_live_catalog(models_server) -> None:
    result = run("models", "list", "--refresh", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["source"] == "live"
    assert [m["id"] for m in document["models"]] == [
        "zai-org/GLM-5-TEE",
        "moonshotai/Kimi-K2.5-TEE",
        "unsloth/Mistral-Nemo-Instruct-2407-TEE",
    ]
    assert any(
        "default model chutes/zai-org/GLM-4.7-TEE is not in" in w for w in document["warnings"]
    )
    assert len(models_server.requests) == 1


def test_second_listing_comes_from_the_cache(models_server) -> None:
    run("models", "list", "--refresh")
    result = run("models", "list")
    assert result.exit_code == 0
    assert "source: cache, fetched" in result.stdout
    assert len(models_server.requests) == 1


def test_failed_discovery_says_why_on_one_stderr_line(models_server) -> None:
    models_server.mode = "500"
    result = run("models", "list", "--refresh", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["source"] == "bundled"
    stderr_lines = [line for line in result.stderr.splitlines() if line]
    assert len(stderr_lines) == 1
    assert "HTTP 500" in stderr_lines[0] and "bundled" in stderr_lines[0]


def test_env_credential_is_sent_for_discovery(models_server, monkeypatch) -> None:
    monkeypatch.setenv("CHUTES_API_KEY", "cpk_envkey")
    result = run("models", "list")
    assert result.exit_code == 0
    assert models_server.requests[0]["authorization"] == "Bearer cpk_envkey"
    assert "cpk_envkey" not in result.stdout + result.stderr


def test_offline_never_touches_the_network(models_server, monkeypatch) -> None:
    monkeypatch.setenv("CHUTES_API_KEY", "cpk_envkey")
    result = run("models", "list", "--offline")
    assert result.exit_code == 0
    assert models_server.requests == []


def test_unknown_provider_is_a_usage_error() -> None:
    result = run("--provider", "openai", "models", "list")
    assert result.exit_code == 2


def test_refresh_and_offline_together_is_a_usage_error() -> None:
    result = run("models", "list", "--refresh", "--offline")
    assert result.exit_code == 2
    assert "contradict" in result.stderr
    assert result.stdout == ""


def test_invalid_config_exits_4_with_line_and_column(state_dir) -> None:
    state_dir.mkdir(parents=True)
    (state_dir / "genesis.json").write_text("{\n  agents: {,\n}\n")
    result = run("models", "list")
    assert result.exit_code == 4
    assert "genesis.json: line 2, column" in result.stderr
    assert result.stdout == ""


def test_version_and_help() -> None:
    from genesis_cli import __version__

    assert run("--version").stdout.strip() == f"genesis, version {__version__}"
    result = run("--help")
    assert result.exit_code == 0
    assert "onboard" in result.stdout and "models" in result.stdout


def test_debug_env_shows_the_traceback(state_dir, monkeypatch) -> None:
    state_dir.mkdir(parents=True)
    (state_dir / "genesis.json").write_text("[1]")
    monkeypatch.setenv("GENESIS_DEBUG", "1")
    result = run("models", "list")
    assert result.exit_code == 4
    assert "Traceback" in result.stderr


def test_a_fresh_cache_answers_before_a_refresh_token_is_spent(models_server, auth_server) -> None:
    from tests.helpers import store_oauth_profile

    run("models", "list", "--refresh")  # no credential yet: the public list, cached
    store_oauth_profile(auth_server, expires_in=30)  # due for a refresh
    result = run("models", "list")
    assert result.exit_code == 0, result.stderr
    assert "source: cache, fetched" in result.stdout
    assert auth_server.refresh_requests == 0


@pytest.mark.parametrize(
    "aliases",
    [["a" * 120], ["漢" * 60], ["e\u0301" * 90], ["chutes-fast", "x" * 70, "chutes-pro"]],
)
def test_long_or_wide_aliases_are_cut_in_the_middle_to_the_terminal(aliases) -> None:
    """At 80 columns no line of the table is wider than 80 (by display width), however long
    or wide an alias of the config is: the ALIASES cell is cut in the middle, like MODEL."""
    from unittest import mock

    from genesis_cli.cli import models as cli_models
    from genesis_cli.cli.ui import UI
    from genesis_cli.flows.models import list_models
    from tests.helpers import CHUTES

    listing = list_models(CHUTES, refresh=False, offline=True)
    ref = f"chutes/{listing.catalog.models[0].id}"
    out = io.StringIO()
    with mock.patch.object(sys, "stdout", out), mock.patch.object(UI, "width", return_value=80):
        cli_models._render_table(UI(), listing.catalog, ref, {ref: aliases})
    *table, _ = out.getvalue().split("\n")[:-1]
    assert max(cli_models.width_of(line) for line in table) <= 80
    shown = next(line for line in table if line.startswith("* "))
    assert "…" in shown and shown.split()[1].startswith("chutes/")


def _first_columns(line: str, columns: int) -> str:
    from genesis_cli.cli.models import width_of

    return next(line[:i] for i in range(len(line), -1, -1) if width_of(line[:i]) <= columns)


_ID_TEXT = st.one_of(  # mostly plain ASCII, some of it wider text or not printable
    st.text(st.sampled_from("abcXYZ-_./0123"), min_size=1, max_size=240),
    st.text(st.sampled_from("abcXYZ-_./0123é漢\x1b\t\n"), min_size=1, max_size=60),
)


@settings(max_examples=150, deadline=None)
@given(
    ids=st.lists(_ID_TEXT, max_size=8, unique=True),
    alias_counts=st.lists(st.integers(0, 3), min_size=8, max_size=8),
    alias=_ID_TEXT,
    wide=st.booleans(),
    numbers=st.lists(st.sampled_from([0, 1, 8192, 131072, 2_000_000]), min_size=8, max_size=8),
)
def test_the_table_in_a_pipe_lines_up_within_its_width(ids, alias_counts, alias, wide, numbers):
    """Header, rule and one line per model, all as wide as the rule (in terminal columns) and
    at most PIPE_WIDTH (unless --wide); every ref shown whole or cut in the middle; then the
    footer."""
    from unittest import mock

    from genesis_cli.cli import models as cli_models
    from genesis_cli.cli.ui import PIPE_WIDTH, UI
    from genesis_cli.records import Catalog, Cost, Model
    from genesis_cli.text import terminal_safe

    models = [
        Model(
            id=model_id,
            context_window=numbers[i],
            max_tokens=numbers[-1 - i],
            input=("text", "image")[: i % 3],
            reasoning=i % 2 == 0,
            tools=i % 3 == 0,
            structured_outputs=False,
            confidential=i % 2 == 1,
            deployment_id=None,
            cost=Cost(0.0245 * i or None, 2.0),
        )
        for i, model_id in enumerate(ids)
    ]
    catalog = Catalog(provider="chutes", source="bundled", models=models, reason="--offline")
    aliases = {f"chutes/{m.id}": [alias] * alias_counts[i] for i, m in enumerate(models)}
    default = f"chutes/{ids[0]}" if ids else "chutes/none"

    out = io.StringIO()
    with mock.patch.object(sys, "stdout", out):
        cli_models._render_table(UI(), catalog, default, aliases, wide=wide)
    *table, footer = out.getvalue().split("\n")[:-1]
    header, rule, *rows = table
    assert set(rule) == {"─"} and len(rows) == len(models)
    assert all(cli_models.width_of(line) == len(rule) for line in table)
    assert wide or len(rule) <= PIPE_WIDTH
    for title in (cli_models.COLUMNS[i][0] for i in (0, 1, 2, 8)):
        assert title in header
    for row, model in zip(rows, models, strict=True):
        ref = terminal_safe(f"chutes/{model.id}").replace("\n", " ")
        shown = _first_columns(row, header.index("ALIASES") - 3)[2:].rstrip()
        assert shown == ref.rstrip() or (
            "…" in shown and ref.startswith(shown.split("…")[0]) and not wide
        )
    assert footer.startswith(f"* default model {terminal_safe(default).replace(chr(10), ' ')}")


def test_json_into_a_pipe_is_one_compact_line_and_on_a_terminal_indented() -> None:
    """As gh does: a program reading the pipe gets one line; a person gets it indented."""
    piped = run("models", "list", "--json")
    assert piped.stdout.count("\n") == 1 and piped.stdout.endswith("}\n")
    child = spawn_genesis("models", "list", "--json", "--offline")
    shown = finish(child).replace("\r\n", "\n")
    assert shown.startswith('{\n  "provider": "chutes",\n')
    assert json.loads(shown) == json.loads(piped.stdout)
