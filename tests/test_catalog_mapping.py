"""Row mapping rules (docs/models.md) against the real sample and against hostile rows."""

from __future__ import annotations

import math
from functools import partial

import pytest

from genesis_cli.catalog import rows
from genesis_cli.catalog.rows import DEFAULT_CONTEXT_WINDOW, DEFAULT_MAX_TOKENS, CatalogUnavailable
from genesis_cli.records import Cost
from tests.helpers import CHUTES

# The rows below are in Chutes' shape.
map_row = partial(rows.map_row, rows=CHUTES.rows)
map_rows = partial(rows.map_rows, mapping=CHUTES.rows)
parse_models_body = partial(rows.parse_models_body, mapping=CHUTES.rows)


def test_full_sample_row_maps_every_field(sample_body: dict) -> None:
    model = map_row(sample_body["data"][0])
    assert model is not None
    assert model.id == "zai-org/GLM-5-TEE"
    assert model.context_window == 202752
    assert model.max_tokens == 65535
    assert model.input == ("text",)
    assert model.reasoning is True
    assert model.confidential is True
    assert model.cost == Cost(input=0.95, output=2.55, cache_read=0.475)


def test_multimodal_row_keeps_all_input_modalities(sample_body: dict) -> None:
    model = map_row(sample_body["data"][1])
    assert model is not None
    assert model.input == ("text", "image", "video")
    assert model.context_window == 262144


def test_sparse_row_uses_max_model_len_and_defaults(sample_body: dict) -> None:
    model = map_row(sample_body["data"][2])
    assert model is not None
    assert model.id == "unsloth/Mistral-Nemo-Instruct-2407-TEE"
    assert model.context_window == 131072  # from max_model_len
    assert model.max_tokens == DEFAULT_MAX_TOKENS
    assert model.input == ("text",)
    assert model.confidential is True
    assert model.cost.cache_read == pytest.approx(0.01225)


def test_reasoning_is_never_guessed_from_the_id() -> None:
    model = map_row({"id": "someone/Reasoning-R1-TEE", "confidential_compute": True})
    assert model is not None
    assert model.reasoning is False


def test_context_length_wins_over_max_model_len() -> None:
    model = map_row({"id": "a/b", "context_length": 1000, "max_model_len": 2000})
    assert model is not None and model.context_window == 1000


def test_row_with_nothing_but_an_id_gets_safe_defaults() -> None:
    model = map_row({"id": "a/b"})
    assert model is not None
    assert model.context_window == DEFAULT_CONTEXT_WINDOW
    assert model.max_tokens == DEFAULT_MAX_TOKENS
    assert model.cost == Cost(None, None, None)
    assert (model.reasoning, model.confidential) == (False, False)


@pytest.mark.parametrize(
    "row",
    [
        {},
        {"id": None},
        {"id": 42},
        {"id": ""},
        {"id": "   "},
        {"id": ["a"]},
        {"id": "has space"},
        {"id": "bad\x00id"},
        {"id": "x" * 300},
        "a string",
        None,
        7,
        [],
    ],
)
def test_rows_without_a_usable_id_are_skipped(row: object) -> None:
    assert map_row(row) is None


def test_numeric_strings_are_accepted_for_sizes_and_prices() -> None:
    model = map_row(
        {
            "id": "a/b",
            "context_length": "131072",
            "max_output_length": " 4096 ",
            "pricing": {"prompt": "0.5", "completion": "1", "input_cache_read": "0.25"},
        }
    )
    assert model is not None
    assert (model.context_window, model.max_tokens) == (131072, 4096)
    assert model.cost == Cost(0.5, 1.0, 0.25)


@pytest.mark.parametrize(
    "value",
    [
        "lots",
        None,
        True,
        -5,
        0,
        1.5,
        math.nan,
        math.inf,
        "1e400",
        [1],
        {"n": 1},
        10**12,
    ],
)
def test_hostile_context_values_fall_back_to_the_default(value: object) -> None:
    model = map_row({"id": "a/b", "context_length": value})
    assert model is not None and model.context_window == DEFAULT_CONTEXT_WINDOW


@pytest.mark.parametrize(
    "pricing",
    [
        None,
        "cheap",
        [],
        {"prompt": None},
        {"prompt": "free"},
        {"prompt": -1},
        {"prompt": math.nan},
        {"prompt": True},
    ],
)
def test_hostile_pricing_is_unknown_not_a_crash(pricing: object) -> None:
    model = map_row({"id": "a/b", "pricing": pricing})
    assert model is not None and model.cost.input is None


@pytest.mark.parametrize("modalities", ["text", None, 5, {"text": True}, [], [None, 3]])
def test_modalities_that_are_not_a_list_of_strings_mean_text(modalities: object) -> None:
    model = map_row({"id": "a/b", "input_modalities": modalities})
    assert model is not None and model.input == ("text",)


def test_modalities_and_features_keep_only_plain_words() -> None:
    """Words of a-z 0-9 _ - only: fullwidth, CJK, combining marks, emoji, fillers and
    escapes would misalign the table (and mean nothing to a client)."""
    hostile = ["ｉｍａｇｅ漢字", "e\u0301x", "\U0001f600", "\u115f", "\x1b[2Jtext", "a b", "[/x]"]
    model = map_row(
        {
            "id": "a/b",
            "input_modalities": [" Text ", *hostile, "video", "audio-2_x"],
            "supported_features": ["ｔｏｏｌｓ", "reasoning\u0301", "json_mode"],
        }
    )
    assert model is not None and model.input == ("text", "video", "audio-2_x")
    assert (model.tools, model.reasoning, model.structured_outputs) == (False, False, True)


@pytest.mark.parametrize("features", ["reasoning", None, {"reasoning": True}])
def test_features_that_are_not_a_list_do_not_mean_reasoning(features: object) -> None:
    model = map_row({"id": "a/b", "supported_features": features})
    assert model is not None and model.reasoning is False


@pytest.mark.parametrize("flag", ["true", 1, "yes", None])
def test_confidential_compute_must_be_a_real_true(flag: object) -> None:
    model = map_row({"id": "a/b", "confidential_compute": flag})
    assert model is not None and model.confidential is False


def test_duplicates_keep_the_first_row_and_bad_rows_are_dropped() -> None:
    models = map_rows(
        [
            {"id": "a/b", "context_length": 100},
            {"id": 3},
            {"id": "a/b", "context_length": 999},
            "junk",
            {"id": "c/d"},
        ]
    )
    assert [(m.id, m.context_window) for m in models] == [("a/b", 100), ("c/d", 32768)]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"data": None},
        {"data": {}},
        {"data": []},
        {"data": [{"id": 1}, None]},
        [],
        "x",
    ],
)
def test_a_body_without_usable_rows_is_unavailable(body: object) -> None:
    with pytest.raises(CatalogUnavailable):
        parse_models_body(body)
