"""API-key onboarding through the CLI: sources, verification, what is written, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import CHUTES, GOOD_KEY, bundled_count, invoke, mode, snapshot

COMMENTED = (Path(__file__).parent / "golden" / "commented.json5").read_text()


@pytest.fixture
def api(models_server):
    models_server.valid_tokens = {GOOD_KEY}
    return models_server


def onboard(*extra: str, key: str | None = GOOD_KEY, input: str | None = None):
    env = {"CHUTES_API_KEY": key} if key is not None else None
    args = ["onboard", "--auth-choice", "chutes-api-key", "--non-interactive", *extra]
    result = invoke(*args, input=input, env=env)
    assert GOOD_KEY not in result.stdout and GOOD_KEY not in result.stderr
    return result


def test_onboarding_writes_config_store_and_cache(api, state_dir) -> None:
    result = onboard()
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Connected to Chutes (API key)\n")
    assert "  profile   chutes:default (cpk_…" in result.stdout
    assert "3 models (live)" in result.stdout
    assert api.requests[0]["authorization"] == f"Bearer {GOOD_KEY}"
    store = (state_dir / "auth-profiles.toml").read_text()
    assert f'key = "{GOOD_KEY}"' in store
    config = (state_dir / "genesis.json").read_text()
    assert 'primary: "chutes/zai-org/GLM-4.7-TEE"' in config
    assert '"chutes:default": { provider: "chutes", mode: "api_key" }' in config
    assert (state_dir / "cache" / "chutes-models.json").exists()
    assert mode(state_dir) == 0o700
    for name in ("genesis.json", "auth-profiles.toml", "cache/chutes-models.json"):
        assert mode(state_dir / name) == 0o600, name
    # The sample catalog, like Chutes' own since mid-2026, lacks the product page's models.
    lines = result.stderr.splitlines()
    assert len(lines) == 4 and all("is not in the live catalog" in line for line in lines)


def test_json_summary_is_the_only_stdout(api, state_dir) -> None:
    result = onboard("--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document == {
        "profile": "chutes:default",
        "type": "api_key",
        "username": None,
        "masked": "cpk_…" + GOOD_KEY[-4:],
        "catalog": {"source": "live", "count": 3},
        "default": "chutes/zai-org/GLM-4.7-TEE",
        "aliases": {
            "chutes-fast": "chutes/zai-org/GLM-4.7-FP8",
            "chutes-pro": "chutes/deepseek-ai/DeepSeek-V3.2-TEE",
            "chutes-vision": "chutes/chutesai/Mistral-Small-3.2-24B-Instruct-2506",
        },
        "skippedAliases": [],
        "configPath": str(state_dir / "genesis.json"),
        "warnings": document["warnings"],
        "models": {"added": 3, "updated": 0, "removed": 0, "kept": []},
        "unavailable": [
            {
                "ref": "chutes/zai-org/GLM-4.7-TEE",
                "role": "primary",
                "suggestions": ["chutes/zai-org/GLM-5-TEE"],
            },
            {
                "ref": "chutes/zai-org/GLM-4.7-FP8",
                "role": "alias:chutes-fast",
                "suggestions": ["chutes/zai-org/GLM-5-TEE"],
            },
            {
                "ref": "chutes/deepseek-ai/DeepSeek-V3.2-TEE",
                "role": "alias:chutes-pro",
                "suggestions": [],
            },
            {
                "ref": "chutes/chutesai/Mistral-Small-3.2-24B-Instruct-2506",
                "role": "alias:chutes-vision",
                "suggestions": ["chutes/moonshotai/Kimi-K2.5-TEE"],  # takes images
            },
        ],
        "probe": None,
    }
    assert len(document["warnings"]) == 4


def test_rejected_key_exits_3_and_leaves_every_file_as_it_was(api, state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").write_text(COMMENTED)
    before = snapshot(state_dir)
    result = onboard(key="cpk_" + "9" * 32 + "." + "9" * 32 + "." + "9" * 32)
    assert result.exit_code == 3
    assert "Chutes rejected this API key" in result.stderr
    assert result.stdout == ""
    assert snapshot(state_dir) == before  # no store, no cache, no .bak, config byte-identical


def test_rejected_key_does_not_even_create_the_state_dir(api, state_dir) -> None:
    result = onboard(key="cpk_wrong.key")
    assert result.exit_code == 3
    assert not state_dir.exists()
    # The shape warning comes before the check: it must not claim the key was stored.
    assert "does not look like a Chutes API key" in result.stderr
    assert "storing" not in result.stderr and "stored" not in result.stderr


def test_unreachable_api_keeps_the_key_with_a_warning(state_dir) -> None:
    result = onboard()  # CHUTES_BASE_URL points at a closed port
    assert result.exit_code == 0
    assert "could not verify the API key" in result.stderr
    assert f"{bundled_count()} models (bundled:" in result.stdout
    assert f'key = "{GOOD_KEY}"' in (state_dir / "auth-profiles.toml").read_text()
    assert not (state_dir / "cache").exists()


def test_onboarding_a_commented_config_keeps_comments_and_backs_it_up(api, state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").write_text(COMMENTED)
    result = onboard("--json")
    assert result.exit_code == 0
    config = (state_dir / "genesis.json").read_text()
    for comment in (
        "// ~/.genesis/genesis.json",
        "/* Agents: defaults",
        "// where agents write",
        "// my own alias",
        "// flagship",
    ):
        assert comment in config
    assert (state_dir / "genesis.json.bak").read_text() == COMMENTED
    skipped = json.loads(result.stdout)["skippedAliases"]
    assert skipped == [
        {
            "alias": "chutes-fast",
            "target": "chutes/zai-org/GLM-4.7-FP8",
            "reason": "chutes/zai-org/GLM-4.7-FP8 already has your alias 'glm-fast'",
        }
    ]
    assert "'chutes/zai-org/GLM-4.7-FP8': { alias: 'glm-fast', }" in config


def test_second_onboarding_reports_nothing_to_change(api, state_dir) -> None:
    onboard()
    config = (state_dir / "genesis.json").read_bytes()
    result = onboard()
    assert result.exit_code == 0
    assert "(already up to date)" in result.stdout
    assert (state_dir / "genesis.json").read_bytes() == config


def test_keep_default_keeps_an_existing_primary(api, state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").write_text(COMMENTED)
    result = onboard("--keep-default", "--json")
    assert json.loads(result.stdout)["default"] == "openai/gpt-5.1"
    assert "primary: 'openai/gpt-5.1'" in (state_dir / "genesis.json").read_text()


@pytest.mark.parametrize(
    "piped",
    [
        f"{GOOD_KEY}\n",
        f"  {GOOD_KEY}  \n",
        f"'{GOOD_KEY}'\n",
        f'"{GOOD_KEY}"\n',
        f'export CHUTES_API_KEY="{GOOD_KEY}"\n',
        f"CHUTES_API_KEY={GOOD_KEY}\n",
        f"export   CHUTES_API_KEY = '{GOOD_KEY}'\n",
    ],
)
def test_key_from_stdin_is_normalised(api, state_dir, piped) -> None:
    result = onboard("--api-key-stdin", key=None, input=piped)
    assert result.exit_code == 0, result.stderr
    assert f'key = "{GOOD_KEY}"\n' in (state_dir / "auth-profiles.toml").read_text()


def test_key_that_does_not_look_right_is_stored_with_a_warning(models_server, state_dir) -> None:
    result = onboard(key="sk-something-else")
    assert result.exit_code == 0
    assert "does not look like a Chutes API key" in result.stderr
    assert 'key = "sk-something-else"' in (state_dir / "auth-profiles.toml").read_text()


@pytest.mark.parametrize("piped", ["", "\n", "   \n"])
def test_empty_stdin_is_a_usage_error(api, state_dir, piped) -> None:
    result = onboard("--api-key-stdin", key=None, input=piped)
    assert result.exit_code == 2
    assert not state_dir.exists()


def test_key_with_inner_spaces_is_refused(api, state_dir) -> None:
    result = onboard("--api-key-stdin", key=None, input="cpk_abc def\n")
    assert result.exit_code == 2
    assert "spaces" in result.stderr
    assert not state_dir.exists()


def test_non_interactive_without_a_key_names_both_ways_to_give_one(state_dir) -> None:
    result = onboard(key=None)
    assert result.exit_code == 2
    assert "CHUTES_API_KEY" in result.stderr and "--api-key-stdin" in result.stderr
    assert not state_dir.exists()


def test_non_interactive_without_auth_choice_infers_api_key_from_env(api, state_dir) -> None:
    result = invoke("onboard", "--non-interactive", env={"CHUTES_API_KEY": GOOD_KEY})
    assert result.exit_code == 0
    assert (state_dir / "auth-profiles.toml").exists()


def test_non_interactive_without_anything_asks_for_auth_choice(state_dir) -> None:
    result = invoke("onboard", "--non-interactive")
    assert result.exit_code == 2
    assert "--auth-choice" in result.stderr


def test_oauth_choice_is_refused_without_interaction(state_dir) -> None:
    result = invoke("onboard", "--auth-choice", "chutes", "--non-interactive")
    assert result.exit_code == 2
    assert "chutes-api-key" in result.stderr and "CHUTES_OAUTH_TOKEN" in result.stderr


def test_invalid_config_exits_4_before_anything_is_sent_or_written(api, state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").write_text("{ agents: { defaults: } }")
    before = snapshot(state_dir)
    result = onboard()
    assert result.exit_code == 4
    assert "genesis.json: line 1, column" in result.stderr
    assert snapshot(state_dir) == before
    assert api.requests == []


def test_config_where_genesis_cannot_add_exits_4(api, state_dir) -> None:
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").write_text('{ agents: "mine" }')
    result = onboard()
    assert result.exit_code == 4
    assert "genesis.json: line 1, column 11: 'agents' is not an object" in result.stderr
    assert not (state_dir / "auth-profiles.toml").exists()


@pytest.mark.parametrize(
    ("models", "where", "what"),
    [
        ('"all"', "line 3, column 36: 'models.providers.chutes.models'", "is not an array"),
        (
            '[\n  {id: "a", name: "a"},\n  "b",\n]',
            "line 5, column 3: 'models.providers.chutes.models[1]'",
            "is not an object",
        ),
    ],
)
def test_a_provider_model_list_genesis_cannot_merge_exits_4_naming_the_spot(
    api, state_dir, models, where, what
) -> None:
    state_dir.mkdir(mode=0o700)
    config = state_dir / "genesis.json"
    config.write_text(
        f"{{\n  models: {{\n    providers: {{ chutes: {{ models: {models} }} }},\n  }},\n}}\n"
    )
    before = snapshot(state_dir)
    result = onboard()
    assert result.exit_code == 4
    assert f"genesis.json: {where} {what}" in result.stderr
    assert snapshot(state_dir) == before
    assert api.requests == []


def test_config_path_env_is_honoured(api, state_dir, tmp_path, monkeypatch) -> None:
    target = tmp_path / "elsewhere" / "my.json5"
    monkeypatch.setenv("GENESIS_CONFIG_PATH", str(target))
    assert onboard().exit_code == 0
    assert "GLM-4.7-TEE" in target.read_text()
    assert not (state_dir / "genesis.json").exists()


def test_stored_key_is_used_for_discovery_afterwards(api, state_dir) -> None:
    onboard()
    (state_dir / "cache" / "chutes-models.json").unlink()
    result = invoke("models", "list", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["source"] == "live"
    assert api.requests[-1]["authorization"] == f"Bearer {GOOD_KEY}"


def test_env_key_beats_the_stored_profile(api, state_dir) -> None:
    onboard()
    (state_dir / "cache" / "chutes-models.json").unlink()
    invoke("models", "list", env={"CHUTES_API_KEY": "cpk_from_env"})
    assert api.requests[-2]["authorization"] == "Bearer cpk_from_env"  # 401, then retried bare
    assert api.requests[-1]["authorization"] == ""


def test_only_the_chutes_variable_name_is_stripped_from_a_pasted_line() -> None:
    from genesis_cli.flows.onboard import normalize_api_key

    assert normalize_api_key(CHUTES, "cpk_abc=def") == "cpk_abc=def"
    assert normalize_api_key(CHUTES, "OTHER_KEY=cpk_abc") == "OTHER_KEY=cpk_abc"


def test_the_config_is_parsed_once_per_onboarding(api, state_dir, monkeypatch) -> None:
    """Preflight, the plan (--keep-default reads the config) and the locked update share one
    parse and its position tree; only the edited text is parsed again (the read-back check)."""
    from genesis_cli.config import json5_doc, json5_edit

    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    (state_dir / "genesis.json").write_text(COMMENTED)
    (state_dir / "genesis.json").chmod(0o600)
    parsed: list[str] = []
    real = json5_doc.parse

    def counting(text: str):
        parsed.append(text)
        return real(text)

    monkeypatch.setattr(json5_doc, "parse", counting)
    monkeypatch.setattr(json5_edit, "parse", counting)
    result = onboard("--keep-default")
    assert result.exit_code == 0, result.stderr
    assert parsed.count(COMMENTED) == 1
    assert parsed[-1] == (state_dir / "genesis.json").read_text()  # the read-back check


def test_a_missing_ca_bundle_stops_onboarding_before_anything_is_written(state_dir, monkeypatch):
    monkeypatch.setenv("CHUTES_BASE_URL", "https://127.0.0.1:9/v1")
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/ca.pem")
    result = onboard()
    assert result.exit_code == 1
    assert "SSL_CERT_FILE=/nonexistent/ca.pem does not exist" in result.stderr
    assert snapshot(state_dir) == {}


def test_models_list_falls_back_when_the_ca_bundle_is_missing(state_dir, monkeypatch) -> None:
    monkeypatch.setenv("CHUTES_BASE_URL", "https://127.0.0.1:9/v1")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    result = invoke("models", "list", "--refresh", env={"CHUTES_API_KEY": GOOD_KEY})
    assert result.exit_code == 0, result.stderr
    assert "REQUESTS_CA_BUNDLE=/nonexistent/ca.pem does not exist" in result.stderr
    assert "bundled catalog" in result.stderr


def test_an_oauth_access_token_in_chutes_api_key_is_not_onboarded_as_an_api_key(
    api, state_dir
) -> None:
    result = onboard(key="cak_" + "a1" * 20)
    assert result.exit_code == 2, result.stderr
    assert "OAuth access token" in result.stderr
    assert snapshot(state_dir) == {}
