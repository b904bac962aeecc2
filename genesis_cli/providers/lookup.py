"""Finding a provider by id: built in, else declared by an installed package in the
``genesis_cli.providers`` entry-point group (``acme = "acme_genesis:PROVIDER"``), read only
when the id is not built in so that Chutes commands do not pay for it."""

from __future__ import annotations

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
    elif _ID.match(provider_id):
        found = _from_entry_points(provider_id)
    if not isinstance(found, Provider) or found.id != provider_id:
        raise UsageError(
            f"unknown provider {provider_id!r}", hint=f"known providers: {', '.join(known())}"
        )
    return found


def known() -> list[str]:
    """Built-in ids, then those installed packages declare."""
    from importlib.metadata import entry_points  # ~10 ms: only off the built-in path

    declared = [p.name for p in entry_points(group=ENTRY_POINT_GROUP) if _ID.match(p.name)]
    return [*_BUILT_IN, *(name for name in dict.fromkeys(declared) if name not in _BUILT_IN)]


def _from_entry_points(name: str) -> Any:
    """The declared provider ``name``, loaded; ``None`` when there is none or it fails to
    load (a broken plugin must not break genesis)."""
    from importlib.metadata import entry_points  # ~10 ms: only off the built-in path

    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name == name:
            try:
                return point.load()
            except Exception:
                return None
    return None
