"""A provider by id: built in, else from the ``genesis_cli.providers`` entry-point group
(``acme = "acme_genesis:PROVIDER"``), read only for an id not built in (start-up)."""

from __future__ import annotations

import contextlib
import importlib
import re
from typing import Any

from genesis_cli.errors import UsageError
from genesis_cli.providers import Provider

ENTRY_POINT_GROUP = "genesis_cli.providers"
_BUILT_IN = {"chutes": "genesis_cli.providers.chutes"}
_ID = re.compile(r"[a-z][a-z0-9-]{0,31}\Z")


def get(provider_id: str) -> Provider:
    found: Any = None
    if provider_id in _BUILT_IN:
        found = importlib.import_module(_BUILT_IN[provider_id]).PROVIDER
    elif _ID.match(provider_id) and provider_id in (declared := _declared()):
        with contextlib.suppress(Exception):  # a broken plugin must not break genesis
            found = declared[provider_id].load()
    if not isinstance(found, Provider) or found.id != provider_id:
        raise UsageError(
            f"unknown provider {provider_id!r}", hint=f"known providers: {', '.join(known())}"
        )
    return found


def known() -> list[str]:
    """Built-in ids, then those installed packages declare."""
    return [*_BUILT_IN, *(name for name in _declared() if name not in _BUILT_IN)]


def _declared() -> dict[str, Any]:
    """Entry points by name, the first of each name."""
    from importlib.metadata import entry_points  # ~10 ms: only off the built-in path

    declared: dict[str, Any] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if _ID.match(point.name):
            declared.setdefault(point.name, point)
    return declared
