"""``genesis models default``: make a ref or an alias the default model, and allow it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from genesis_cli import catalog, paths
from genesis_cli.config import config_file
from genesis_cli.config.schema import allow, object_at
from genesis_cli.errors import UsageError
from genesis_cli.providers import Provider
from genesis_cli.warning_log import collect_warnings, warn


@dataclass
class DefaultResult:
    default: str
    previous: str | None
    changed: bool
    warnings: list[str]


def resolve_ref(provider: Provider, text: str, config: dict[str, Any], known_ids: set[str]) -> str:
    """A ``provider/<id>`` ref from what the user typed (``models default``, ``models test``,
    ``onboard --default``): an alias of the config, else one of the provider's default
    aliases, else a bare model id of the catalog, else a ref."""
    wanted = text.strip()
    if not wanted or any(ch.isspace() for ch in wanted):
        raise UsageError(f"{text!r} is not a model ref or alias", hint="see `genesis models list`")
    for model_ref, alias in config_file.aliases(config).items():
        if alias == wanted:
            return model_ref
    if wanted in provider.default_aliases():
        return provider.default_aliases()[wanted]
    if wanted in known_ids:  # a bare model id such as zai-org/GLM-5-TEE
        return provider.ref(wanted)
    if "/" in wanted:
        return wanted
    raise UsageError(
        f"{wanted!r} is neither an alias nor a provider/model ref",
        hint="see `genesis models list` for refs and aliases",
    )


def set_default(provider: Provider, text: str) -> DefaultResult:
    path = paths.config_path()
    current = catalog.resolve(provider, None, offline=True)
    known = current.ids()
    wanted = resolve_ref(provider, text, config_file.load(path).data, known)
    with collect_warnings() as warnings:
        model_id = provider.model_id(wanted)
        if model_id is not None and model_id not in known:
            warn(
                f"{wanted} is not in the current ({current.source}) catalog; "
                "check the spelling with `genesis models list --refresh`"
            )

    def change(data: dict[str, Any]) -> str | None:
        model = object_at(data, "agents", "defaults", "model")
        old = model.get("primary")
        model["primary"] = wanted
        allow(data, [wanted])  # OpenClaw refuses a primary its allowlist lacks
        return old if isinstance(old, str) else None

    previous, changed = config_file.update(path, change)
    return DefaultResult(wanted, previous, changed, warnings)
