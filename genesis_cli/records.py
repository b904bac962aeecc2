"""Plain records passed between layers, and their JSON shape. Runtime annotations: a string
annotation on a NamedTuple costs a compile at import."""

import dataclasses
import functools
import os
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

CatalogSource = Literal["live", "cache", "bundled"]
_PLAIN = (str, int, float, bool, type(None))


def to_json(value: Any) -> Any:
    """``value`` as JSON data: a record (dataclass or NamedTuple) becomes an object with
    camelCase keys in field order, or its ``json_keys`` order (which may name properties and
    leave fields out); nested records, lists, tuples and dicts alike; a path becomes text."""
    if isinstance(value, _PLAIN):  # the common cases first: a catalog is walked three times
        return value
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    names = _json_names(value.__class__)
    if names is not None:
        return {key: to_json(getattr(value, name)) for name, key in names}
    if isinstance(value, tuple):
        return [to_json(item) for item in value]
    if isinstance(value, os.PathLike):  # a Path, without importing pathlib for --help
        return os.fspath(value)
    return value


@functools.cache
def _json_names(kind: type) -> tuple[tuple[str, str], ...] | None:
    """A record type's attribute names and their JSON keys, once per type; ``None`` for a
    type that is not a record."""
    if dataclasses.is_dataclass(kind):
        names = getattr(kind, "json_keys", None) or [f.name for f in dataclasses.fields(kind)]
    elif issubclass(kind, tuple) and hasattr(kind, "_fields"):
        names = kind._fields
    else:
        return None
    return tuple((name, _camel(name)) for name in names)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


class Cost(NamedTuple):
    """USD per 1M tokens; ``None`` where the provider did not say."""

    input: float | None = None
    output: float | None = None
    cache_read: float | None = None


class Model(NamedTuple):
    """genesis's own shape (``to_json``): the bundled catalog, the cache and ``models list
    --json``. The config holds a narrower, OpenClaw-shaped entry (``config.schema``)."""

    id: str
    context_window: int
    max_tokens: int
    input: tuple[str, ...] = ("text",)
    reasoning: bool = False
    tools: bool = False
    structured_outputs: bool = False
    confidential: bool = False
    deployment_id: str | None = None  # where its attestation evidence is filed
    cost: Cost = Cost()


@dataclass
class Catalog:
    provider: str
    source: CatalogSource
    models: list[Model]
    fetched_at: float | None = None
    # Why the bundled catalog is in use (no credential, offline, or what failed).
    reason: str | None = None
    # True when a live attempt failed and the bundled catalog stands in for it.
    fell_back: bool = False
    warnings: list[str] = field(default_factory=list)

    def ids(self) -> set[str]:
        return {m.id for m in self.models}
