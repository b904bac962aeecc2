"""Registering a catalog in the config: an OpenClaw-shaped entry per model, merged by id."""

from __future__ import annotations

from typing import Any

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
