"""Is the model really there: suggestions, `onboard --default`, the one question."""

from __future__ import annotations

import json

import pytest

from genesis_cli.catalog.rows import map_rows
from genesis_cli.config.json5_doc import loads
from genesis_cli.flows.availability import check, suggest
from tests import LIVE_SNAPSHOT
from tests.helpers import CHUTES, GOOD_KEY, finish, invoke, onboard, snapshot, spawn_genesis

SNAPSHOT = json.loads(LIVE_SNAPSHOT.read_text())
LIVE = map_rows(SNAPSHOT["data"], CHUTES.rows)
LIVE_IDS = [m.id for m in LIVE]


def test_a_successor_of_the_same_vendor_comes_first() -> None:
    assert suggest(CHUTES, "zai-org/GLM-4.7-TEE", LIVE_IDS) == [
        "chutes/zai-org/GLM-5.2-TEE",
        "chutes/zai-org/GLM-5.1-TEE",
        "chutes/google/gemma-4-31B-turbo-TEE",
    ]
    assert suggest(CHUTES, "chutesai/Mistral-Small-3.2-24B-Instruct-2506", LIVE_IDS)[0] == (
        "chutes/unsloth/Mistral-Nemo-Instruct-2407-TEE"
    )
    assert len(suggest(CHUTES, "zai-org/GLM-4.7-FP8", LIVE_IDS)) <= 3


def test_the_product_pages_models_missing_from_the_2026_08_list_are_found() -> None:
    missing = check(CHUTES, LIVE, CHUTES.default_model_ref(), CHUTES.default_aliases())
    assert [(m.ref, m.role) for m in missing] == [
        ("chutes/zai-org/GLM-4.7-TEE", "primary"),
        ("chutes/zai-org/GLM-4.7-FP8", "alias:chutes-fast"),
        ("chutes/chutesai/Mistral-Small-3.2-24B-Instruct-2506", "alias:chutes-vision"),
    ]
    assert "chutes/zai-org/GLM-5.2-TEE" in missing[0].warning("live")


def test_another_providers_default_is_not_judged() -> None:
    assert check(CHUTES, LIVE, "openai/gpt-5.1", {}) == []


@pytest.fixture
def live(models_server):
    models_server.body = SNAPSHOT
    models_server.valid_tokens = {GOOD_KEY}
    return models_server


def test_non_interactive_onboarding_keeps_the_product_pages_values_and_warns(
    live, state_dir
) -> None:
    result = onboard("--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["default"] == "chutes/zai-org/GLM-4.7-TEE"
    assert [u["role"] for u in document["unavailable"]] == [
        "primary", "alias:chutes-fast", "alias:chutes-vision",
    ]  # fmt: skip
    assert document["unavailable"][0]["suggestions"][0] == "chutes/zai-org/GLM-5.2-TEE"
    assert result.stderr.count("is not in the live catalog") == 3


def test_default_picks_another_primary_from_the_catalog(live, state_dir) -> None:
    result = onboard("--json", "--default", "chutes/zai-org/GLM-5.2-TEE")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["default"] == "chutes/zai-org/GLM-5.2-TEE"
    assert "primary" not in [u["role"] for u in document["unavailable"]]
    config = loads((state_dir / "genesis.json").read_text())
    assert config["agents"]["defaults"]["model"]["primary"] == "chutes/zai-org/GLM-5.2-TEE"


def test_default_takes_an_alias_too(live, state_dir) -> None:
    result = onboard("--json", "--default", "chutes-pro")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["default"] == "chutes/deepseek-ai/DeepSeek-V3.2-TEE"


def test_default_outside_the_catalog_exits_2_with_suggestions_and_writes_nothing(
    live, state_dir
) -> None:
    before = snapshot(state_dir)
    result = onboard("--json", "--default", "chutes/zai-org/GLM-4.7-TEE")
    assert result.exit_code == 2
    assert "not in the live catalog" in result.stderr
    assert "chutes/zai-org/GLM-5.2-TEE" in result.stderr
    assert snapshot(state_dir) == before
    assert result.stdout == ""


@pytest.mark.parametrize("default", ["chutes/a;b", "evil"])
def test_a_default_of_a_bad_form_exits_2_before_the_key_is_sent(live, state_dir, default) -> None:
    state_dir.mkdir(mode=0o700)
    (state_dir / "genesis.json").write_text('{agents: {defaults: {models: {x: {alias: "evil"}}}}}')
    before = snapshot(state_dir)
    result = onboard("--default", default)
    assert result.exit_code == 2, result.output
    assert "is not a valid Chutes model ref" in result.stderr
    assert live.requests == []  # refused before any network
    assert snapshot(state_dir) == before


@pytest.mark.slow
def test_the_one_question_takes_every_first_suggestion_when_answered_yes(live, state_dir) -> None:
    child = spawn_genesis("onboard", "--auth-choice", "chutes-api-key",
                          env={"CHUTES_API_KEY": GOOD_KEY})  # fmt: skip
    child.expect("\\[Y/n\\]")
    child.sendline("y")
    child.expect(
        "default       chutes/zai-org/GLM-4.7-TEE -> suggested: chutes/zai-org/GLM-5.2-TEE"
    )
    child.expect("Use the suggested models instead\\? \\[y/N\\]: ")
    child.sendline("y")
    finish(child)
    config = loads((state_dir / "genesis.json").read_text())
    defaults = config["agents"]["defaults"]
    assert defaults["model"]["primary"] == "chutes/zai-org/GLM-5.2-TEE"
    assert defaults["models"]["chutes/google/gemma-4-31B-turbo-TEE"] == {
        "alias": "chutes-vision"
    }  # the closest model that takes images
    assert defaults["models"]["chutes/deepseek-ai/DeepSeek-V3.2-TEE"] == {"alias": "chutes-pro"}


def test_the_bundled_fallback_is_not_judged(models_server, state_dir, monkeypatch) -> None:
    monkeypatch.setenv("CHUTES_BASE_URL", "http://127.0.0.1:9/v1")
    result = onboard("--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["unavailable"] == []


def test_an_alias_means_what_the_config_says_for_default_and_models_test(live, state_dir) -> None:
    """One rule for `onboard --default`, `models test` and `models default`: the config's
    alias first, then the one onboarding registers."""
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    config = state_dir / "genesis.json"
    entry = '"chutes/zai-org/GLM-5.2-TEE": { alias: "chutes-pro" }'
    config.write_text(f"{{ agents: {{ defaults: {{ models: {{ {entry} }} }} }} }}\n")
    config.chmod(0o600)
    result = onboard("--json", "--default", "chutes-pro")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["default"] == "chutes/zai-org/GLM-5.2-TEE"
    tested = invoke("models", "test", "chutes-pro", "--json", env={"CHUTES_API_KEY": GOOD_KEY})
    assert json.loads(tested.stdout)["ref"] == "chutes/zai-org/GLM-5.2-TEE"
    # An alias the config does not have is the one onboarding would register.
    tested = invoke("models", "test", "chutes-vision", "--json", env={"CHUTES_API_KEY": GOOD_KEY})
    assert json.loads(tested.stdout)["ref"].endswith("Mistral-Small-3.2-24B-Instruct-2506")


def _every_candidate_scored(model_id: str, live_ids: list[str], floor: float) -> list[str]:
    """The ranking by its definition: every candidate compared in full (no bound, no memo)."""
    import difflib
    import re

    def shape(text: str) -> str:
        return re.sub(r"\d+", "#", text.lower())

    def natural(text: str) -> tuple[object, ...]:
        return tuple(int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", text))

    def ranked(names: list[str], floor: float, wanted: int) -> list[str]:
        mine = shape(model_id)
        scored = {n: difflib.SequenceMatcher(None, mine, shape(n)).ratio() for n in names}
        keep = sorted((n for n in names if scored[n] >= floor), key=natural, reverse=True)
        return sorted(keep, key=scored.__getitem__, reverse=True)[:wanted]

    vendor = model_id.split("/", 1)[0].lower() if "/" in model_id else None
    candidates = [c for c in live_ids if c != model_id]
    same = [c for c in candidates if vendor is not None and c.split("/", 1)[0].lower() == vendor]
    picked = ranked(same, -1.0, 3)
    others = [c for c in candidates if c not in set(same)]
    picked += ranked(others, floor, 3 - len(picked)) if len(picked) < 3 else []
    return [CHUTES.ref(c) for c in picked]


@pytest.mark.parametrize("floor", [0.5, -1.0])
def test_suggestions_equal_scoring_every_candidate_in_full(floor: float) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    word = st.text("abcAB-./01279", min_size=0, max_size=14)
    ids = st.lists(word, max_size=40)

    @settings(max_examples=300, deadline=None)
    @given(model_id=word, live=ids)
    def same_as_definition(model_id: str, live: list[str]) -> None:
        pool = live + LIVE_IDS[: len(live)]
        assert suggest(CHUTES, model_id, pool, floor=floor) == _every_candidate_scored(
            model_id, pool, floor
        )

    same_as_definition()
    for missing in ("zai-org/GLM-4.7-TEE", "chutesai/Mistral-Small-3.2-24B-Instruct-2506"):
        assert suggest(CHUTES, missing, LIVE_IDS, floor=floor) == _every_candidate_scored(
            missing, LIVE_IDS, floor
        )
