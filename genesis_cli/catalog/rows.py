"""Catalog rows to ``Model``: a provider's ``/models`` rows (field names from its
``RowMapping``) and genesis's own entries (the bundled file, the cache). Rows are untrusted:
bad rows are skipped, bad fields defaulted, and nothing here raises on hostile data."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from genesis_cli.coerce import finite_number
from genesis_cli.errors import GenesisError
from genesis_cli.providers import RowMapping
from genesis_cli.records import Cost, Model
from genesis_cli.text import shell_word
from genesis_cli.warning_log import warn

# When the provider does not say: conservative values a client can always honour.
DEFAULT_CONTEXT_WINDOW = 32768
DEFAULT_MAX_TOKENS = 8192
_MAX_ID_LENGTH = 256
_MAX_LIST = 32  # modalities or features of one row
_WORD = re.compile(r"[a-z0-9_-]{1,64}\Z")  # of a modality or feature
_MAX_TOKENS_LIMIT = 100_000_000
# genesis's own entries (``records.to_json`` of a ``Model``); ``models_from_dicts`` lists
# their features.
OWN_ROWS = RowMapping(
    context=("contextWindow",),
    max_tokens=("maxTokens",),
    input="input",
    features="features",
    pricing="cost",
    price_input="input",
    price_output="output",
    price_cache_read="cacheRead",
    confidential="confidential",
    deployment_id="deploymentId",
)
_FEATURE_KEYS = {
    "reasoning": "reasoning",
    "tools": "tools",
    "structuredOutputs": "structured_outputs",
}


class CatalogUnavailable(GenesisError):
    """Live discovery did not produce a usable catalog; the message says why."""


def _first_count(row: dict[Any, Any], names: tuple[str, ...]) -> int | None:
    """The first of ``names`` holding a sane positive number of tokens."""
    for name in names:
        number = finite_number(row.get(name))
        if isinstance(number, int) and 0 < number <= _MAX_TOKENS_LIMIT:
            return number
    return None


def _price(value: Any) -> float | None:
    """USD per 1M tokens, rounded to 6 significant digits (0.09999999999999998 -> 0.1)."""
    number = finite_number(value)
    return None if number is None or number < 0 else float(f"{number:.6g}")


def _string_list(value: Any) -> tuple[str, ...]:
    """Short lower-case words of a-z 0-9 _ - (any other is dropped: a wide or combining
    character would misalign the table, and no client knows such a word), no repeats."""
    if not isinstance(value, list):
        return ()
    words = (item.strip().lower() for item in value[:_MAX_LIST] if isinstance(item, str))
    return tuple(dict.fromkeys(word for word in words if _WORD.match(word)))


def usable_id(value: Any) -> str | None:
    """An id of ``text.shell_word`` characters only, no ``/`` part empty: it is printed,
    cached, written to the config and offered by shell completion."""
    if not isinstance(value, str):
        return None
    model_id = value.strip()
    ok = len(model_id) <= _MAX_ID_LENGTH and shell_word(model_id) and "" not in model_id.split("/")
    return model_id if ok else None


def map_row(row: Any, rows: RowMapping) -> Model | None:
    """One ``/models`` row as a ``Model``; ``None`` when it has no usable id. (JSON keys are
    strings, so ``row.get(None)`` for a fact the mapping lacks is ``None``.)"""
    model_id = usable_id(row.get("id")) if isinstance(row, dict) else None
    if model_id is None:
        return None
    context = _first_count(row, rows.context) or DEFAULT_CONTEXT_WINDOW
    features = _string_list(row.get(rows.features))
    pricing = row.get(rows.pricing)
    if not isinstance(pricing, dict):
        pricing = {}
    return Model(
        id=model_id,
        context_window=context,
        max_tokens=_first_count(row, rows.max_tokens) or min(DEFAULT_MAX_TOKENS, context),
        input=_string_list(row.get(rows.input)) or ("text",),
        # Only what the provider declares: never guessed from the id ("-TEE" is not reasoning).
        reasoning="reasoning" in features,
        tools="tools" in features,
        structured_outputs="structured_outputs" in features or "json_mode" in features,
        confidential=row.get(rows.confidential) is True,
        deployment_id=usable_id(row.get(rows.deployment_id)),
        cost=Cost(
            _price(pricing.get(rows.price_input)),
            _price(pricing.get(rows.price_output)),
            _price(pricing.get(rows.price_cache_read)),
        ),
    )


def map_rows(rows: Iterable[Any], mapping: RowMapping) -> list[Model]:
    """The usable rows mapped, the first of duplicate ids kept."""
    models: dict[str, Model] = {}
    for row in rows:
        model = map_row(row, mapping)
        if model is not None:
            models.setdefault(model.id, model)
    return list(models.values())


def parse_models_body(body: Any, mapping: RowMapping) -> list[Model]:
    """The models of an OpenAI-style ``{"data": [...]}`` answer; raises when none is usable.
    Rows skipped for their id are counted in one warning (the ids are not repeated)."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise CatalogUnavailable("the models answer has no 'data' list")
    models = map_rows(body["data"], mapping)
    if not models:
        raise CatalogUnavailable("the models answer lists no usable model")
    bad_ids = sum(
        isinstance(row, dict) and isinstance(row.get("id"), str) and not usable_id(row["id"])
        for row in body["data"]
    )
    if bad_ids:
        warn(
            f"skipped {bad_ids} model{'s' if bad_ids != 1 else ''} whose id is empty, too long "
            "or holds characters other than A-Z a-z 0-9 . _ : / @ + -"
        )
    return models


def models_from_dicts(items: Any) -> list[Model]:
    """Models in genesis's own shape (the bundled file, the cache), checked like live rows."""
    if not isinstance(items, list):
        return []
    rows = [
        {**item, "features": [name for key, name in _FEATURE_KEYS.items() if item.get(key) is True]}
        if isinstance(item, dict)
        else item
        for item in items
    ]
    return map_rows(rows, OWN_ROWS)
