"""The model catalog: live ``GET <base>/models`` -> on-disk cache -> bundled file.

Rows from the provider are untrusted: every field but ``id`` may be missing or of the wrong
type. Bad rows are skipped and bad fields defaulted; nothing here raises on hostile data.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any

from genesis_cli import paths
from genesis_cli.coerce import finite_number
from genesis_cli.errors import GenesisError, NetworkError
from genesis_cli.fsutil import atomic_write, ensure_private_dir, read_if_present
from genesis_cli.providers import Provider, RowMapping
from genesis_cli.records import Catalog, Cost, Model

CACHE_TTL_SECONDS = 600
CACHE_VERSION = 1
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


class CredentialRejected(GenesisError):
    """The models endpoint answered 401/403 to the credential we sent."""


# --- row mapping -------------------------------------------------------------------------


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
            clean = item if item.isprintable() else "".join(c for c in item if c.isprintable())
            word = clean.strip().lower()[:_MAX_WORD]
            if word:
                seen.setdefault(word, None)
    return tuple(seen)


def _usable_id(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    model_id = value.strip()
    if not model_id or len(model_id) > _MAX_ID_LENGTH:
        return None
    if any(ch.isspace() or not ch.isprintable() for ch in model_id):
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


def map_rows(rows: Iterable[Any], mapping: RowMapping = OWN_ROWS) -> list[Model]:
    """Map rows, skipping unusable ones and keeping the first of duplicate ids."""
    models: dict[str, Model] = {}
    for row in rows:
        model = map_row(row, mapping)
        if model is not None and model.id not in models:
            models[model.id] = model
    return list(models.values())


def parse_models_body(body: Any, mapping: RowMapping = OWN_ROWS) -> list[Model]:
    """The models of an OpenAI-style ``{"data": [...]}`` answer; raises when none is usable."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise CatalogUnavailable("the models answer has no 'data' list")
    models = map_rows(body["data"], mapping)
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


def _models_from_dicts(items: Any) -> list[Model]:
    if not isinstance(items, list):
        return []
    models: dict[str, Model] = {}
    for item in items:
        model = model_from_dict(item)
        if model is not None:
            models.setdefault(model.id, model)
    return list(models.values())


# --- sources -----------------------------------------------------------------------------


def bundled_catalog(provider: Provider, reason: str, *, fell_back: bool = False) -> Catalog:
    models = _models_from_dicts(provider.bundled_data().get("models"))
    return Catalog(
        provider=provider.id, source="bundled", models=models, reason=reason, fell_back=fell_back
    )


def fetch_live(provider: Provider, credential: str | None) -> list[Model]:
    """``GET <base>/models``; raises ``CredentialRejected`` on 401/403, else
    ``CatalogUnavailable`` with the reason when no usable catalog came back."""
    from genesis_cli import http

    url = f"{provider.base_url()}/models"
    headers = {"Authorization": f"Bearer {credential}"} if credential else {}
    try:
        response = http.request("GET", url, headers=headers)
    except NetworkError as exc:
        raise CatalogUnavailable(exc.message) from exc
    if response.status in (401, 403) and credential:
        raise CredentialRejected(
            f"{provider.display_name} answered {response.status} to the credential"
        )
    if response.status == 429:
        retry = response.headers.get("retry-after", "").strip()
        later = f", retry after {retry[:40]}{'s' if retry.isdigit() else ''}" if retry else ""
        raise CatalogUnavailable(f"{url} is rate limiting (HTTP 429{later})")
    if response.status != 200:
        raise CatalogUnavailable(f"{url} answered HTTP {response.status}")
    try:
        body = response.json()
    except ValueError as exc:
        raise CatalogUnavailable(f"{url} did not answer with JSON") from exc
    return parse_models_body(body, provider.rows)


def read_cache(
    provider: Provider, *, max_age: float | None, warnings: list[str] | None = None
) -> Catalog | None:
    """The cached catalog for the current base URL, if there is one young enough.

    The cache is untrusted like everything on disk: anything odd about it (a link, a FIFO,
    bad JSON, a NaN time) means no cache; a link or non-file is also said in ``warnings``.
    """
    path = paths.catalog_cache_path(provider.id)
    try:
        raw = read_if_present(path, follow=False)
        data = json.loads(raw) if raw is not None else None
    except GenesisError as exc:
        if warnings is not None:
            warnings.append(f"ignored the catalog cache: {exc.message}")
        return None
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return None
    fetched_at = finite_number(data.get("fetchedAt"))
    if fetched_at is None or data.get("baseUrl") != provider.base_url():
        return None
    age = time.time() - fetched_at
    if age < -60 or (max_age is not None and age > max_age):
        return None
    models = _models_from_dicts(data.get("models"))
    if not models:
        return None
    return Catalog(
        provider=provider.id, source="cache", models=models, fetched_at=float(fetched_at)
    )


def save_cache(
    provider: Provider, models: list[Model], fetched_at: float, warnings: list[str]
) -> None:
    """Best effort: a cache that cannot be written (a link there, a full disk) is a warning."""
    try:
        write_cache(provider, models, fetched_at)
    except GenesisError as exc:
        warnings.append(f"did not write the catalog cache: {exc.message}")
    except OSError as exc:
        warnings.append(f"did not write the catalog cache: {exc.strerror or exc}")


def write_cache(provider: Provider, models: list[Model], fetched_at: float) -> None:
    path = paths.catalog_cache_path(provider.id)
    document = {
        "version": CACHE_VERSION,
        "provider": provider.id,
        "baseUrl": provider.base_url(),
        "fetchedAt": int(fetched_at),
        "models": [m.to_dict() for m in models],
    }
    ensure_private_dir(path.parent)
    atomic_write(path, json.dumps(document, separators=(",", ":")) + "\n")


# --- the resolver ------------------------------------------------------------------------


def discover(
    provider: Provider,
    credential: str | None,
    *,
    reject_is_fatal: bool = False,
    fetching: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext,
) -> Catalog:
    """The live catalog fetched with ``credential``, else the bundled one (``fell_back``,
    said in its warnings). The one discovery path: ``resolve`` and onboarding both use it.

    A 401/403 raises ``CredentialRejected`` when ``reject_is_fatal`` (an API key being
    onboarded); otherwise it is a warning and the (public) list is fetched once more without
    the credential.
    """
    warnings: list[str] = []
    try:
        try:
            with fetching():
                models = fetch_live(provider, credential)
        except CredentialRejected:
            if reject_is_fatal:
                raise
            warnings.append(
                f"{provider.display_name} rejected the credential in use; listed models without it"
            )
            with fetching():
                models = fetch_live(provider, None)
    except CatalogUnavailable as exc:
        found = bundled_catalog(provider, exc.message, fell_back=True)
        found.warnings = [
            *warnings,
            f"live catalog unavailable ({exc.message}); using the bundled catalog",
        ]
        return found
    return Catalog(
        provider=provider.id,
        source="live",
        models=models,
        fetched_at=time.time(),
        warnings=warnings,
    )


def resolve(
    provider: Provider,
    credential: str | None,
    *,
    refresh: bool = False,
    offline: bool = False,
    cache_ttl: float = CACHE_TTL_SECONDS,
    fetching: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext,
) -> Catalog:
    """The catalog to show or register, per SPEC 5. Never raises for network trouble."""
    warnings: list[str] = []
    if offline:
        cached = read_cache(provider, max_age=None, warnings=warnings)
        found = cached or bundled_catalog(provider, "--offline and no cached catalog")
        found.warnings = warnings
        return found
    if not refresh:
        cached = read_cache(provider, max_age=cache_ttl, warnings=warnings)
        if cached is not None:
            return cached
        if credential is None:
            found = bundled_catalog(
                provider, "no credential; run `genesis models list --refresh` to fetch"
            )
            found.warnings = warnings
            return found
    found = discover(provider, credential, fetching=fetching)
    found.warnings[:0] = warnings
    if found.source == "live" and found.fetched_at is not None:
        save_cache(provider, found.models, found.fetched_at, found.warnings)
    return found
