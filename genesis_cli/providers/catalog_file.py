"""A provider's bundled catalog file: found, read once, and checked (it comes from disk)."""

from __future__ import annotations

import functools
import os
from typing import Any

from genesis_cli.errors import GenesisError

_FIELDS = {"baseUrl": str, "api": str, "defaultModel": str, "aliases": dict, "models": list}


def bundled_catalog_path(name: str) -> str:
    """A catalog file genesis ships: in the installed package, else a source checkout's
    ``catalogs/``. os.path: pathlib is not otherwise loaded when the env holds the key."""
    here = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    installed = os.path.join(here, "catalogs", name)
    if os.path.isfile(installed):
        return installed
    return os.path.join(os.path.dirname(here), "catalogs", name)


@functools.cache
def read_catalog(path: str) -> dict[str, Any]:
    import json  # not on the paths that never read the catalog (auth token)

    try:
        with open(path, "rb") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise _unusable(path, str(getattr(exc, "strerror", None) or exc)) from None
    if not isinstance(data, dict):
        raise _unusable(path, "the top level is not an object")
    for key, kind in _FIELDS.items():
        if not isinstance(data.get(key), kind):
            raise _unusable(path, f"{key!r} is missing or not a {kind.__name__}")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in data["aliases"].items()):
        raise _unusable(path, "'aliases' maps names to model ids (strings)")
    return data


def _unusable(path: str, problem: str) -> GenesisError:
    return GenesisError(
        f"the bundled catalog {path} is unusable: {problem}",
        hint="reinstall genesis, or the package of the provider it belongs to",
    )
