"""What onboarding writes into the config, as a change to plain data (never to text)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genesis_cli.errors import ConfigError
from genesis_cli.providers import chutes
from genesis_cli.records import Model


@dataclass
class Registration:
    default: str
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> model ref, now in place
    skipped: list[dict[str, str]] = field(default_factory=list)


def child_object(parent: dict[str, Any], key: str, dotted: str, path: Path) -> dict[str, Any]:
    if key not in parent:
        parent[key] = {}
    value = parent[key]
    if not isinstance(value, dict):
        raise ConfigError(
            f"{path}: '{dotted}' is not an object, so genesis cannot add to it",
            hint="fix the file by hand (nothing was written)",
        )
    return value


def config_model(model: Model) -> dict[str, Any]:
    """A model as it is written in the provider block: unknown prices are left out."""
    entry = model.to_dict()
    cost = {k: v for k, v in entry.pop("cost").items() if v is not None}
    if cost:
        entry["cost"] = cost
    return entry


def register(
    data: dict[str, Any],
    models: list[Model],
    *,
    profile_id: str,
    mode: str,
    keep_default: bool,
    path: Path,
) -> Registration:
    """Mutate ``data`` (the config) to register Chutes: catalog, aliases, default, profile.

    Only genesis's keys change: other providers, other models' entries and unknown keys stay.
    """
    agents = child_object(data, "agents", "agents", path)
    defaults = child_object(agents, "defaults", "agents.defaults", path)
    model = child_object(defaults, "model", "agents.defaults.model", path)
    primary = model.get("primary")
    if not (keep_default and isinstance(primary, str) and primary):
        model["primary"] = chutes.default_model_ref()
    registration = Registration(default=model["primary"])

    entries = child_object(defaults, "models", "agents.defaults.models", path)
    for alias, target in chutes.default_aliases().items():
        holder = next(
            (ref for ref, e in entries.items() if isinstance(e, dict) and e.get("alias") == alias),
            None,
        )
        entry = entries.get(target)
        current = entry.get("alias") if isinstance(entry, dict) else None
        if holder not in (None, target):
            reason = f"the alias already names {holder}"
        elif entry is not None and not isinstance(entry, dict):
            reason = f"agents.defaults.models[{target!r}] is not an object"
        elif isinstance(current, str) and current and current != alias:
            reason = f"{target} already has your alias {current!r}"
        else:
            entries.setdefault(target, {})["alias"] = alias
            registration.aliases[alias] = target
            continue
        registration.skipped.append({"alias": alias, "target": target, "reason": reason})

    providers = child_object(
        child_object(data, "models", "models", path), "providers", "models.providers", path
    )
    block = child_object(providers, chutes.ID, f"models.providers.{chutes.ID}", path)
    block["baseUrl"] = chutes.base_url()
    block["api"] = chutes.api_kind()
    block["models"] = [config_model(m) for m in models]

    profiles = child_object(
        child_object(data, "auth", "auth", path), "profiles", "auth.profiles", path
    )
    entry = profiles.get(profile_id)
    if isinstance(entry, dict):
        entry["provider"] = chutes.ID
        entry["mode"] = mode
    else:
        profiles[profile_id] = {"provider": chutes.ID, "mode": mode}
    return registration
