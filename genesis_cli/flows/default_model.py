"""``genesis models default``: make a ref or an alias the default model, and allow it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from genesis_cli import catalog, paths
from genesis_cli.catalog import rows
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


def resolve_ref(
    provider: Provider, text: str, config: dict[str, Any], known_ids: set[str] | None
) -> str:
    """A ``provider/<id>`` ref from what the user typed (``models default``, ``models test``,
    ``onboard --default``): an alias of the config, else one of the provider's default
    aliases, else a bare model id of the catalog (``None``, the catalog not known yet: any
    word without ``/``), else a ref; whichever it is, it passes ``check_ref``."""
    wanted = text.strip()
    named = next((r for r, alias in config_file.aliases(config).items() if alias == wanted), None)
    ref = named or provider.default_aliases().get(wanted)
    if ref is None and (wanted in known_ids if known_ids is not None else "/" not in wanted):
        ref = provider.ref(wanted)  # a bare model id such as zai-org/GLM-5-TEE
    if ref is None and "/" not in wanted:
        raise UsageError(
            f"{wanted!r} is neither an alias nor a provider/model ref",
            hint="see `genesis models list` for refs and aliases",
        )
    return check_ref(provider, ref or wanted, f" (the alias {wanted!r})" if named else "")


def check_ref(provider: Provider, ref: str, origin: str = "") -> str:
    """``ref`` as it is written: a provider part (in lower case, as OpenClaw reads it) and a
    model id the catalog could hold; else exit 2, before anything is sent or written."""
    owner, _, model_id = ref.partition("/")
    if rows.usable_id(owner) != owner or rows.usable_id(model_id) != model_id:
        raise UsageError(
            f"{ref!r}{origin} is not a valid {provider.display_name} model ref",
            hint=f"a ref is {provider.id}/<model id> of letters, digits and ._:/@+- "
            "(see `genesis models list`)",
        )
    return f"{owner.lower()}/{model_id}"


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
