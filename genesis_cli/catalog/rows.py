"""Catalog rows to ``Model``: a provider's ``/models`` rows (field names from its
``RowMapping``) and genesis's own entries (the bundled file, the cache).

Rows are untrusted: every field but ``id`` may be missing or of the wrong type. Bad rows are
skipped and bad fields defaulted; nothing here raises on hostile data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from genesis_cli.coerce import finite_number
from genesis_cli.errors import GenesisError
from genesis_cli.providers import RowMapping
from genesis_cli.records import Cost, Model
from genesis_cli.text import one_line, shell_word

# When the provider does not say: conservative values a client can always honour.
DEFAULT_CONTEXT_WINDOW = 32768
DEFAULT_MAX_TOKENS = 8192
_MAX_ID_LENGTH = 256
_MAX_LIST = 32  # modalities or features of one row
_MAX_WORD = 64
_MAX_TOKENS_LIMIT = 100_000_000
# The row shape ``model_from_dict`` rewrites genesis's own entries into.
OWN_ROWS = RowMapping()


class CatalogUnavailable(GenesisError):
    """Live discovery did not produce a usable catalog; the message says why."""


def _positive_int(value: Any) -> int | None:
    number = finite_number(value)
    if isinstance(number, int) and 0 < number <= _MAX_TOKENS_LIMIT:
        return number
    return None


def _price(value: Any) -> float | None:
    """USD per 1M tokens, rounded to 6 significant digits (0.09999999999999998 -> 0.1)."""
    number = finite_number(value)
    if number is None or number < 0:
        return None
    return float(f"{number:.6g}")


def _string_list(value: Any) -> tuple[str, ...]:
    """Short lower-case words from the network, control characters (ESC, BEL, C1) and lone
    surrogates removed before anything stores or prints them."""
    if not isinstance(value, list):
        return ()
    seen: dict[str, None] = {}
    for item in value[:_MAX_LIST]:
        if isinstance(item, str):
            word = one_line(item).lower()[:_MAX_WORD]
            if word:
                seen.setdefault(word, None)
    return tuple(seen)


def _usable_id(value: Any) -> str | None:
    """An id made only of ``[A-Za-z0-9._:/@+-]`` (``text.shell_word``): it is printed,
    cached, written to the config and offered by shell completion, so nothing else gets in."""
    if not isinstance(value, str):
        return None
    model_id = value.strip()
    if len(model_id) > _MAX_ID_LENGTH or not shell_word(model_id):
        return None
    return model_id


def map_row(row: Any, rows: RowMapping = OWN_ROWS) -> Model | None:
    """One ``/models`` row to a ``Model`` (field names from ``rows``), or ``None`` when it
    has no usable id."""
    if not isinstance(row, dict):
        return None
    model_id = _usable_id(row.get("id"))
    if model_id is None:
        return None
    context = (
        next(filter(None, (_positive_int(row.get(name)) for name in rows.context)), None)
        or DEFAULT_CONTEXT_WINDOW
    )
    max_tokens = next(
        filter(None, (_positive_int(row.get(name)) for name in rows.max_tokens)), None
    ) or min(DEFAULT_MAX_TOKENS, context)
    features = _string_list(row.get(rows.features))
    pricing = row.get(rows.pricing)
    if not isinstance(pricing, dict):
        pricing = {}
    return Model(
        id=model_id,
        context_window=context,
        max_tokens=max_tokens,
        input=_string_list(row.get(rows.input)) or ("text",),
        # Only what the provider declares: never guessed from the id ("-TEE" is not reasoning).
        reasoning="reasoning" in features,
        tools="tools" in features,
        structured_outputs="structured_outputs" in features or "json_mode" in features,
        confidential=row.get(rows.confidential) is True,
        chute_id=_usable_id(row.get(rows.deployment_id)),
        cost=Cost(
            input=_price(pricing.get(rows.price_input)),
            output=_price(pricing.get(rows.price_output)),
            cache_read=_price(pricing.get(rows.price_cache_read)),
        ),
    )


def map_rows(
    rows: Iterable[Any], mapping: RowMapping = OWN_ROWS, warnings: list[str] | None = None
) -> list[Model]:
    """Map rows, skipping unusable ones and keeping the first of duplicate ids. Rows skipped
    for their id are counted in one warning (the ids themselves are not repeated)."""
    models: dict[str, Model] = {}
    bad_ids = 0
    for row in rows:
        model = map_row(row, mapping)
        if model is None:
            bad_ids += isinstance(row, dict) and isinstance(row.get("id"), str)
        elif model.id not in models:
            models[model.id] = model
    if bad_ids and warnings is not None:
        warnings.append(
            f"skipped {bad_ids} model{'s' if bad_ids != 1 else ''} whose id is empty, too long "
            "or holds characters other than A-Z a-z 0-9 . _ : / @ + -"
        )
    return list(models.values())


def parse_models_body(
    body: Any, mapping: RowMapping = OWN_ROWS, warnings: list[str] | None = None
) -> list[Model]:
    """The models of an OpenAI-style ``{"data": [...]}`` answer; raises when none is usable."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise CatalogUnavailable("the models answer has no 'data' list")
    models = map_rows(body["data"], mapping, warnings)
    if not models:
        raise CatalogUnavailable("the models answer lists no usable model")
    return models


# genesis's own boolean fields and the provider feature each stands for.
_FEATURE_KEYS = {
    "reasoning": "reasoning",
    "tools": "tools",
    "structured_outputs": "structuredOutputs",
}


def model_from_dict(data: Any) -> Model | None:
    """A model in genesis's own shape (bundled file, cache), validated like a live row."""
    if not isinstance(data, dict):
        return None
    cost = data.get("cost")
    if not isinstance(cost, dict):
        cost = {}
    return map_row(
        {
            "id": data.get("id"),
            "context_length": data.get("contextWindow"),
            "max_output_length": data.get("maxTokens"),
            "input_modalities": data.get("input"),
            "supported_features": [
                name for name, key in _FEATURE_KEYS.items() if data.get(key) is True
            ],
            "confidential_compute": data.get("confidential"),
            "chute_id": data.get("chuteId"),
            "pricing": {
                "prompt": cost.get("input"),
                "completion": cost.get("output"),
                "input_cache_read": cost.get("cacheRead"),
            },
        },
        OWN_ROWS,
    )


def models_from_dicts(items: Any) -> list[Model]:
    if not isinstance(items, list):
        return []
    models: dict[str, Model] = {}
    for item in items:
        model = model_from_dict(item)
        if model is not None:
            models.setdefault(model.id, model)
    return list(models.values())
