"""Registering a catalog in the config: an OpenClaw-shaped entry per model, merged by id."""

from __future__ import annotations

from typing import Any

import pytest

from genesis_cli.config.config_file import ShapeError
from genesis_cli.config.schema import config_entry, inverted_aliases, register
from genesis_cli.records import Cost, Model
from tests.helpers import CHUTES


def model(model_id: str, **fields: Any) -> Model:
    values: dict[str, Any] = {"context_window": 1000, "max_tokens": 100, **fields}
    return Model(id=model_id, **values)


def entries(data: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = data["models"]["providers"]["chutes"]["models"]
    return result


def run(data: dict[str, Any], models: list[Model], *, prune: bool):
    return register(
        CHUTES,
        data, models, profile_id="chutes:default", mode="api_key", keep_default=False,
        prune=prune,
    )  # fmt: skip


def openclaw_config(*ids: str, **agents: Any) -> dict[str, Any]:
    return {
        "agents": {"defaults": agents},
        "models": {
            "providers": {
                "chutes": {
                    "models": [
                        {
                            "id": i,
                            "name": f"{i} (theirs)",
                            "cost": {"input": 9, "cacheWrite": 0.5},
                            "compat": {"supportsUsageInStreaming": False},
                            "headers": {"X-Team": "a"},
                        }
                        for i in ids
                    ]
                }
            }
        },
    }


def test_a_new_entry_has_only_openclaw_model_keys() -> None:
    entry = config_entry(
        model(
            "v/m",
            input=("text", "image", "pdf"),
            reasoning=True,
            tools=True,
            structured_outputs=True,
            confidential=True,
            chute_id="e51e818e",
            cost=Cost(input=0.4, output=2.0, cache_read=None),
        )
    )
    assert entry == {
        "id": "v/m",
        "name": "v/m",
        "reasoning": True,
        "input": ["text", "image"],
        "contextWindow": 1000,
        "maxTokens": 100,
        "cost": {"input": 0.4, "output": 2.0},
        "compat": {"supportsTools": True},
    }


def test_an_existing_entry_keeps_every_key_genesis_does_not_own() -> None:
    data = openclaw_config("v/a")
    registration = run(
        data, [model("v/a", cost=Cost(input=1.0, output=2.0, cache_read=0.5))], prune=True
    )
    assert entries(data) == [
        {
            "id": "v/a",
            "name": "v/a (theirs)",
            "cost": {"input": 1.0, "cacheWrite": 0.5, "output": 2.0, "cacheRead": 0.5},
            "compat": {"supportsUsageInStreaming": False, "supportsTools": False},
            "headers": {"X-Team": "a"},
            "reasoning": False,
            "input": ["text"],
            "contextWindow": 1000,
            "maxTokens": 100,
        }
    ]
    assert registration.models.to_json() == {"added": 0, "updated": 1, "removed": 0, "kept": []}


def test_onboarding_the_same_catalog_again_updates_nothing() -> None:
    data: dict[str, Any] = {}
    catalog = [model("v/a"), model("v/b")]
    assert run(data, catalog, prune=True).models.added == 2
    again = run(data, catalog, prune=True).models
    assert again.to_json() == {"added": 0, "updated": 0, "removed": 0, "kept": []}


def test_a_live_catalog_removes_models_nothing_names() -> None:
    data = openclaw_config("v/gone", "v/a")
    registration = run(data, [model("v/a"), model("v/new")], prune=True)
    assert [e["id"] for e in entries(data)] == ["v/a", "v/new"]
    assert registration.models.to_json() == {"added": 1, "updated": 1, "removed": 1, "kept": []}


def test_a_bundled_catalog_never_removes_anything() -> None:
    data = openclaw_config("v/gone", "v/a")
    registration = run(data, [model("v/a")], prune=False)
    assert [e["id"] for e in entries(data)] == ["v/gone", "v/a"]
    assert registration.models.removed == 0 and registration.models.kept == []


def test_models_named_by_the_primary_a_fallback_or_an_alias_are_kept_and_reported() -> None:
    data = openclaw_config(
        "zai-org/GLM-4.7-TEE", "v/fallback", "v/aliased", "v/bare",
        model={"fallbacks": ["chutes/v/fallback"]},
        models={"chutes/v/aliased": {"alias": "mine"}, "chutes/v/bare": {}},
    )  # fmt: skip
    registration = run(data, [model("v/a")], prune=True)
    kept = ["chutes/zai-org/GLM-4.7-TEE", "chutes/v/fallback", "chutes/v/aliased"]
    assert registration.models.kept == kept
    assert [e["id"] for e in entries(data)] == [k.removeprefix("chutes/") for k in kept] + ["v/a"]
    assert registration.models.removed == 1  # the bare {} entry names nothing
    assert len([w for w in registration.warnings if "left the live catalog" in w]) == 3


def test_reversed_aliases_are_reported_with_the_fix_and_left_alone() -> None:
    data = openclaw_config(models={"chutes-pro": {"alias": "chutes/deepseek-ai/DeepSeek-V3.2-TEE"}})
    registration = run(data, [model("v/a")], prune=False)
    assert data["agents"]["defaults"]["models"]["chutes-pro"] == {
        "alias": "chutes/deepseek-ai/DeepSeek-V3.2-TEE"
    }
    (warning,) = [w for w in registration.warnings if "reversed" in w]
    assert "'chutes-pro'" in warning
    assert '"chutes/deepseek-ai/DeepSeek-V3.2-TEE": { alias: "chutes-pro" }' in warning
    assert inverted_aliases({"agents": {"defaults": {"models": {"x/y": {"alias": "z"}}}}}) == []


def allowlist(data: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = data["agents"]["defaults"]["models"]
    return result


def test_every_registered_model_is_in_the_allowlist_primary_and_alias_targets_included() -> None:
    data: dict[str, Any] = {}
    run(data, [model("v/a"), model("v/b")], prune=True)
    assert allowlist(data) == {
        "chutes/zai-org/GLM-4.7-FP8": {"alias": "chutes-fast"},
        "chutes/deepseek-ai/DeepSeek-V3.2-TEE": {"alias": "chutes-pro"},
        "chutes/chutesai/Mistral-Small-3.2-24B-Instruct-2506": {"alias": "chutes-vision"},
        "chutes/zai-org/GLM-4.7-TEE": {},
        "chutes/v/a": {},
        "chutes/v/b": {},
    }


def test_allowlist_entries_are_never_removed_and_their_keys_are_kept() -> None:
    data = openclaw_config(
        "v/gone",
        models={"chutes/v/gone": {}, "chutes/v/a": {"params": {"temperature": 0.2}}, "x/y": {}},
    )
    run(data, [model("v/a")], prune=True)
    assert [e["id"] for e in entries(data)] == ["v/a"]  # the provider entry left the catalog
    assert allowlist(data)["chutes/v/gone"] == {}  # its allowlist entry stays (harmless)
    assert allowlist(data)["chutes/v/a"] == {"params": {"temperature": 0.2}}
    assert allowlist(data)["x/y"] == {}


def test_a_model_policy_allow_list_gets_every_ref_too() -> None:
    data = openclaw_config(modelPolicy={"allow": ["chutes/zai-org/GLM-4.7-FP8", "openai/gpt-5"]})
    run(data, [model("v/a")], prune=True)
    allow = data["agents"]["defaults"]["modelPolicy"]["allow"]
    assert allow == [
        "chutes/zai-org/GLM-4.7-FP8",
        "openai/gpt-5",
        "chutes/zai-org/GLM-4.7-TEE",
        "chutes/deepseek-ai/DeepSeek-V3.2-TEE",
        "chutes/chutesai/Mistral-Small-3.2-24B-Instruct-2506",
        "chutes/v/a",
    ]
    run(data, [model("v/a")], prune=True)
    assert data["agents"]["defaults"]["modelPolicy"]["allow"] == allow  # nothing twice


def test_a_provider_wildcard_in_model_policy_covers_every_ref() -> None:
    data = openclaw_config(modelPolicy={"allow": ["chutes/*"], "deny": []})
    run(data, [model("v/a")], prune=True)
    assert data["agents"]["defaults"]["modelPolicy"] == {"allow": ["chutes/*"], "deny": []}


def test_model_policy_is_never_created() -> None:
    data: dict[str, Any] = {}
    run(data, [model("v/a")], prune=True)
    assert "modelPolicy" not in data["agents"]["defaults"]
    data = openclaw_config(modelPolicy={"deny": ["x/y"]})
    run(data, [model("v/a")], prune=True)
    assert data["agents"]["defaults"]["modelPolicy"] == {"deny": ["x/y"]}


@pytest.mark.parametrize(
    ("policy", "where"),
    [
        ({"allow": "chutes/*"}, "agents.defaults.modelPolicy.allow"),
        ("all", "agents.defaults.modelPolicy"),
    ],
)
def test_a_model_policy_of_another_shape_is_a_shape_error(policy: Any, where: str) -> None:
    with pytest.raises(ShapeError) as caught:
        run(openclaw_config(modelPolicy=policy), [model("v/a")], prune=True)
    assert caught.value.message.startswith(f"'{where}' ")


def test_input_keeps_only_what_openclaw_runtime_accepts() -> None:
    entry = config_entry(model("v/m", input=("text", "image", "video", "audio")))
    assert entry["input"] == ["text", "image"]
    assert config_entry(model("v/n", input=("video",)))["input"] == ["text"]
    data = openclaw_config("v/m")
    entries(data)[0]["input"] = ["text", "video"]
    run(data, [model("v/m", input=("text", "video"))], prune=True)
    assert entries(data)[0]["input"] == ["text"]
