"""Interop: every config genesis writes is read by the real OpenClaw (docs/config.md).

The installed genesis writes the config; then `openclaw config validate --json` must say it
is valid and `openclaw models list --json` must show the default and the aliases on their
targets. Under CI a missing OpenClaw fails the run (`.ci/run` installs it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from genesis_cli.config.json5_doc import loads
from tests.e2e import openclaw
from tests.e2e.conftest import API_KEY, missing
from tests.e2e.test_e2e import run, sign_in_over_ssh

pytestmark = [pytest.mark.e2e, pytest.mark.interop]

DEFAULT = "chutes/zai-org/GLM-4.7-TEE"
ALIASES = {
    "chutes-fast": "chutes/zai-org/GLM-4.7-FP8",
    "chutes-pro": "chutes/deepseek-ai/DeepSeek-V3.2-TEE",
    "chutes-vision": "chutes/chutesai/Mistral-Small-3.2-24B-Instruct-2506",
}
# Every key OpenClaw 2026.6.8's strict model schema accepts (docs/config.md).
OPENCLAW_MODEL_KEYS = {
    "id", "name", "api", "baseUrl", "reasoning", "input", "cost", "contextWindow",
    "contextTokens", "maxTokens", "thinkingLevelMap", "params", "agentRuntime", "headers",
    "compat", "mediaInput", "metadataSource",
}  # fmt: skip

COMMENTED_OPENCLAW = """\
// ~/.openclaw/openclaw.json, written by hand
{
  /* the gateway this machine runs */
  gateway: { mode: 'local', port: 18789, bind: 'loopback', },
  agents: {
    defaults: {
      workspace: '~/agents', // where agents write
      model: { primary: 'chutes/zai-org/GLM-4.7-TEE', fallbacks: ['chutes/zai-org/GLM-5-TEE'] },
    },
  },
  models: {
    mode: 'merge',
    providers: {
      chutes: {
        baseUrl: 'https://llm.chutes.ai/v1',
        api: 'openai-completions',
        models: [
          // my own name and cache price: genesis must keep both
          {
            id: 'zai-org/GLM-5-TEE', name: 'GLM 5 (mine)',
            cost: { input: 1, output: 2, cacheRead: 0.5, cacheWrite: 0.25 },
          },
        ],
      },
    },
  },
  tools: { profile: 'coding' }, // keep
}
"""


@pytest.fixture
def claw(tmp_path: Path) -> openclaw.OpenClaw:
    launcher = openclaw.find()
    if launcher is None:
        missing("OpenClaw (npm openclaw@2026.6.8 under Node >= 22.19)")
        raise AssertionError("unreachable")
    return openclaw.OpenClaw(launcher, tmp_path / "openclaw")


def config_of(env: dict[str, str]) -> Path:
    return Path(env["GENESIS_STATE_DIR"]) / "genesis.json"


def onboard_key(genesis_bin: Path, env: dict[str, str], *extra: str) -> dict[str, Any]:
    """``genesis onboard --json`` with the test API key on stdin; its JSON document."""
    result = run(
        genesis_bin,
        env,
        *("onboard", "--auth-choice", "chutes-api-key", "--api-key-stdin"),
        *("--non-interactive", "--json", *extra),
        stdin=API_KEY,
    )
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def chutes_models(config: Path) -> list[dict[str, Any]]:
    data = loads(config.read_text())
    models: list[dict[str, Any]] = data["models"]["providers"]["chutes"]["models"]
    return models


def assert_openclaw_reads_it(claw: openclaw.OpenClaw, config: Path) -> dict[str, list[str]]:
    claw.validate(config)
    tags = claw.models(config)
    assert "default" in tags[DEFAULT], tags.get(DEFAULT)
    for alias, target in ALIASES.items():
        assert f"alias:{alias}" in tags.get(target, []), (alias, tags.get(target))
    for entry in chutes_models(config):
        assert set(entry) <= OPENCLAW_MODEL_KEYS, entry
        assert entry["name"]
        assert set(entry["input"]) <= {"text", "image", "video", "audio"}
    return tags


def test_a_fresh_api_key_config_from_the_live_catalog(genesis_bin, e2e_env, idp, claw) -> None:
    idp.control(catalog="snapshot")
    document = onboard_key(genesis_bin, e2e_env)
    assert document["catalog"] == {"source": "live", "count": 14}
    assert document["models"]["added"] == 14
    config = config_of(e2e_env)
    assert_openclaw_reads_it(claw, config)
    by_id = {m["id"]: m for m in chutes_models(config)}
    assert by_id["zai-org/GLM-5.2-TEE"]["compat"] == {"supportsTools": True}
    assert "confidential" not in by_id["zai-org/GLM-5.2-TEE"]
    # The snapshot's sparse row declares no tools.
    assert by_id["unsloth/Mistral-Nemo-Instruct-2407-TEE"]["compat"] == {"supportsTools": False}


def test_the_bundled_fallback_config(genesis_bin, e2e_env, claw) -> None:
    env = {**e2e_env, "CHUTES_BASE_URL": "http://127.0.0.1:9/v1"}
    document = onboard_key(genesis_bin, env)
    assert document["catalog"]["source"] == "bundled"
    assert_openclaw_reads_it(claw, config_of(env))


def test_an_oauth_profile_config(genesis_bin, e2e_env, idp, claw) -> None:
    sign_in_over_ssh(genesis_bin, e2e_env)
    config = config_of(e2e_env)
    data = loads(config.read_text())
    assert {p["mode"] for p in data["auth"]["profiles"].values()} == {"oauth"}
    assert_openclaw_reads_it(claw, config)


def test_openclaws_own_onboarding_onboarded_again(genesis_bin, e2e_env, idp, claw) -> None:
    config = config_of(e2e_env)
    config.parent.mkdir(mode=0o700, parents=True)
    claw.onboard_api_key(config, API_KEY)
    before = loads(config.read_text())
    their_models = before["models"]["providers"]["chutes"]["models"]
    assert len(their_models) > 20 and all("name" in m for m in their_models)

    # The bundled fallback: a network failure never shrinks the user's list.
    document = onboard_key(genesis_bin, {**e2e_env, "CHUTES_BASE_URL": "http://127.0.0.1:9/v1"})
    assert document["models"]["removed"] == 0
    after = loads(config.read_text())
    for key in ("gateway", "session", "tools", "plugins", "wizard", "meta"):
        assert after[key] == before[key], key
    by_id = {m["id"]: m for m in chutes_models(config)}
    for theirs in their_models:
        mine = by_id[theirs["id"]]
        assert mine["name"] == theirs["name"]
        assert mine["cost"]["cacheWrite"] == theirs["cost"]["cacheWrite"]
        for flag, value in theirs.get("compat", {}).items():
            assert mine["compat"][flag] == value
    # OpenClaw wrote its aliases reversed: genesis says so, with the fix, and leaves them.
    reversed_warnings = [w for w in document["warnings"] if "is reversed" in w]
    assert len(reversed_warnings) == 3, document["warnings"]
    assert after["agents"]["defaults"]["models"]["chutes-pro"] == {"alias": ALIASES["chutes-pro"]}
    assert_openclaw_reads_it(claw, config)

    # Then a live catalog: models that left it go, unless something names them.
    idp.control(catalog="snapshot")
    document = onboard_key(genesis_bin, e2e_env)
    changes = document["models"]
    assert changes["removed"] > 0
    assert set(changes["kept"]) >= {DEFAULT, *ALIASES.values()} - {
        "chutes/deepseek-ai/DeepSeek-V3.2-TEE"  # still listed live
    }
    remaining = {m["id"] for m in chutes_models(config)}
    assert "zai-org/GLM-5.2-TEE" in remaining
    assert "Qwen/Qwen2.5-72B-Instruct" not in remaining
    assert_openclaw_reads_it(claw, config)


def test_a_commented_json5_openclaw_config(genesis_bin, e2e_env, idp, claw) -> None:
    config = config_of(e2e_env)
    config.parent.mkdir(mode=0o700, parents=True)
    config.write_text(COMMENTED_OPENCLAW)
    claw.validate(config)  # the input itself is a valid OpenClaw config
    document = onboard_key(genesis_bin, e2e_env)
    text = config.read_text()
    for comment in (
        "// ~/.openclaw/openclaw.json, written by hand",
        "/* the gateway this machine runs */",
        "// where agents write",
        "// my own name and cache price: genesis must keep both",
        "// keep",
    ):
        assert comment in text
    mine = next(m for m in chutes_models(config) if m["id"] == "zai-org/GLM-5-TEE")
    assert mine["name"] == "GLM 5 (mine)"
    assert mine["cost"]["cacheWrite"] == 0.25
    assert mine["cost"]["input"] == 0.95  # the price genesis owns follows the catalog
    assert document["models"]["updated"] == 1
    tags = assert_openclaw_reads_it(claw, config)
    assert "fallback#1" in tags["chutes/zai-org/GLM-5-TEE"]
