"""What onboarding writes into the config, as a change to plain data (never to text)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from genesis_cli.config.config_file import ShapeError, aliases, get_path
from genesis_cli.config.json5_edit import same
from genesis_cli.providers import Provider
from genesis_cli.records import Model

# The modalities OpenClaw's runtime model registry accepts in ``input`` (its config schema
# takes video and audio too, but an agent then reports "model catalog load issue"); others
# are left out of the config and kept in the cache and ``models list``.
OPENCLAW_INPUTS = ("text", "image")


@dataclass
class ModelChanges:
    """What the merge did to ``models.providers.<id>.models``."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    kept: list[str] = field(default_factory=list)  # refs kept only because something names them


@dataclass
class Registration:
    default: str
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> model ref, now in place
    skipped: list[dict[str, str]] = field(default_factory=list)
    models: ModelChanges = field(default_factory=ModelChanges)
    warnings: list[str] = field(default_factory=list)


def object_at(root: dict[str, Any], *keys: str) -> dict[str, Any]:
    """``root[keys[0]][keys[1]]...``, each object created empty when missing; a value on the
    way that is not an object is a ``ShapeError`` naming its path."""
    node = root
    for depth, key in enumerate(keys, start=1):
        if key not in node:
            node[key] = {}
        node = node[key]
        if not isinstance(node, dict):
            raise ShapeError(keys[:depth], "is not an object, so genesis cannot add to it")
    return node


def owned_fields(model: Model) -> dict[str, Any]:
    """The fields of a model entry that genesis owns: only keys OpenClaw's strict schema knows
    (TEE, structured outputs and the chute id stay in the cache), no unknown prices."""
    fields: dict[str, Any] = {
        "id": model.id,
        "reasoning": model.reasoning,
        "input": [kind for kind in model.input if kind in OPENCLAW_INPUTS] or ["text"],
        "contextWindow": model.context_window,
        "maxTokens": model.max_tokens,
    }
    price = model.cost
    cost = {"input": price.input, "output": price.output, "cacheRead": price.cache_read}
    if cost := {k: v for k, v in cost.items() if v is not None}:
        fields["cost"] = cost
    fields["compat"] = {"supportsTools": model.tools}
    return fields


def config_entry(model: Model) -> dict[str, Any]:
    """A new provider model entry: the owned fields, with ``name`` after ``id``."""
    fields = owned_fields(model)
    return {"id": fields.pop("id"), "name": model.id, **fields}


def merge_entry(entry: dict[str, Any], model: Model) -> bool:
    """Set the owned fields of ``entry`` in place, keeping every other key; whether one changed."""
    before = {key: dict(v) if isinstance(v, dict) else v for key, v in entry.items()}
    for key, value in owned_fields(model).items():
        if key in ("cost", "compat") and isinstance(entry.get(key), dict):
            entry[key].update(value)  # keeps cacheWrite, other compat flags
        else:
            entry[key] = value
    if not (isinstance(entry.get("name"), str) and entry["name"]):
        entry["name"] = model.id
    return not same(before, entry)


def merge_models(
    provider: Provider, existing: list[Any], models: list[Model], prune: bool, named: set[str]
) -> tuple[list[Any], ModelChanges]:
    """The provider's model list merged by id with the catalog ``models``: entries keep their
    order and the keys genesis does not own, new models are appended. With ``prune`` (a live
    catalog), an entry whose model left it goes unless ``named`` holds its ref."""
    catalog = {m.id: m for m in models}
    changes = ModelChanges()
    merged: list[Any] = []
    seen: set[str] = set()
    for entry in existing:
        model_id = entry.get("id")
        if not isinstance(model_id, str) or model_id in seen:
            merged.append(entry)
            continue
        seen.add(model_id)
        model = catalog.get(model_id)
        if model is not None:
            changes.updated += merge_entry(entry, model)
            merged.append(entry)
        elif not prune:
            merged.append(entry)
        elif provider.ref(model_id) in named:
            changes.kept.append(provider.ref(model_id))
            merged.append(entry)
        else:
            changes.removed += 1
    for model in models:
        if model.id not in seen:
            merged.append(config_entry(model))
            changes.added += 1
    return merged, changes


def allow(data: dict[str, Any], refs: list[str]) -> None:
    """Let OpenClaw's agents use ``refs``: the keys of ``agents.defaults.models`` (and, in a file
    OpenClaw 9.x migrated, ``agents.defaults.modelPolicy.allow``, where ``<provider>/*`` covers
    the provider). Added, never removed: genesis cannot tell its own ``{}`` from one the user
    wrote. ``modelPolicy`` is never created: OpenClaw 2026.6.8 rejects the key."""
    entries = object_at(data, "agents", "defaults", "models")
    for ref in refs:
        entries.setdefault(ref, {})
    if "modelPolicy" not in object_at(data, "agents", "defaults"):
        return
    policy = object_at(data, "agents", "defaults", "modelPolicy")
    if "allow" not in policy:
        return
    allowed = policy["allow"]
    if not isinstance(allowed, list):
        raise ShapeError(
            ("agents", "defaults", "modelPolicy", "allow"),
            "is not a list of model refs, so genesis cannot add to it",
        )
    for ref in refs:
        wildcard = ref.split("/", 1)[0] + "/*"
        if ref not in allowed and wildcard not in allowed:
            allowed.append(ref)


# The ``timeoutMs`` values earlier genesis versions wrote: genesis's own, not the user's.
GENESIS_TIMEOUTS_MS = (30000,)


def link_credential(
    data: dict[str, Any], provider: Provider, name: str, exec_provider: dict[str, Any]
) -> list[str]:
    """Hand OpenClaw the credential by reference: ``secrets.providers.<name>`` (genesis's exec
    provider, rewritten but for a ``timeoutMs`` set there) and the provider's ``apiKey``
    pointing at it. An ``apiKey`` the user set is kept, with a warning. Returns the warnings."""
    secrets = object_at(data, "secrets", "providers")
    where = ("secrets", "providers", name)
    current = secrets.get(name)
    warnings: list[str] = []
    if current is None:
        secrets[name] = dict(exec_provider)
    elif isinstance(current, dict) and current.get("source") == "exec":
        # genesis owns this entry: rewritten whole, so no key that loosens OpenClaw's checks
        # of the command (allowSymlinkCommand, allowInsecurePath, trustedDirs) survives;
        # only a timeout the user chose is theirs.
        timeout = current.get("timeoutMs")
        for key in [k for k in current if k not in exec_provider]:
            del current[key]
        current.update(exec_provider)
        if timeout is not None and timeout not in GENESIS_TIMEOUTS_MS:
            if type(timeout) is int and 0 < timeout <= exec_provider["timeoutMs"]:
                current["timeoutMs"] = timeout
            else:  # OpenClaw takes a whole number of ms up to its most, genesis's own value
                warnings.append(
                    f"secrets.providers.{name}.timeoutMs was not a whole number from 1 to "
                    f"{exec_provider['timeoutMs']}, which OpenClaw requires; replaced it with "
                    f"{exec_provider['timeoutMs']}"
                )
    else:
        raise ShapeError(where, "is not genesis's exec secret provider (source: exec)")
    block = object_at(data, "models", "providers", provider.id)
    wanted = {"source": "exec", "provider": name, "id": provider.id}
    key = block.get("apiKey")
    if key is None or (isinstance(key, str) and not key.strip()) or same(key, wanted):
        block["apiKey"] = wanted
        return warnings
    reference = isinstance(key, dict) and key.get("source") in ("env", "file", "exec")
    if not isinstance(key, str) and not (
        reference and isinstance(key.get("id"), str) and isinstance(key.get("provider", ""), str)
    ):
        raise ShapeError(
            ("models", "providers", provider.id, "apiKey"),
            "is neither a key nor a secret reference { source, provider, id }",
        )
    return [
        *warnings,
        f"models.providers.{provider.id}.apiKey is already set (your key or reference), so "
        f"OpenClaw will use it, not genesis's credential; to hand over genesis's, remove that "
        "apiKey and run genesis onboard again",
    ]


def inverted_aliases(data: dict[str, Any]) -> list[str]:
    """Warnings for ``agents.defaults.models`` entries of the reversed shape some tools write
    (``"chutes-pro": {alias: "chutes/..."}``): a key that is not a ref whose alias is one."""
    entries = get_path(data, "agents", "defaults", "models")
    if not isinstance(entries, dict):
        return []
    warnings = []
    for key, entry in entries.items():
        target = entry.get("alias") if isinstance(entry, dict) else None
        if "/" in key or not isinstance(target, str) or "/" not in target:
            continue
        warnings.append(
            f"agents.defaults.models[{key!r}] is reversed: it names the model {target!r} as its "
            f"alias, so OpenClaw sees no alias {key!r}; to fix it, replace it with "
            f'"{target}": {{ alias: "{key}" }}'
        )
    return warnings


def register(
    provider: Provider,
    data: dict[str, Any],
    models: list[Model],
    *,
    profile_id: str,
    mode: str,
    keep_default: bool,
    prune: bool = False,
    default_ref: str | None = None,
    alias_targets: dict[str, str] | None = None,
    exec_provider: tuple[str, dict[str, Any]] | None = None,
    moved_aliases: frozenset[str] = frozenset(),
) -> Registration:
    """Register ``provider`` in ``data`` (the config): catalog, aliases, default, profile; only
    genesis's keys change. ``prune``: the catalog is live, models that left it may go.
    ``default_ref`` and ``alias_targets`` replace the provider's defaults. An alias in
    ``moved_aliases`` (its new target just accepted) leaves the model holding it; any other
    alias held elsewhere is the user's and is skipped. ``exec_provider`` (name, entry) hands
    the credential over by reference."""
    model = object_at(data, "agents", "defaults", "model")
    primary = model.get("primary")
    if default_ref is not None:
        model["primary"] = default_ref
    elif not (keep_default and isinstance(primary, str) and primary):
        model["primary"] = provider.default_model_ref()
    registration = Registration(default=model["primary"])

    entries = object_at(data, "agents", "defaults", "models")
    targets = provider.default_aliases() if alias_targets is None else alias_targets
    for alias, target in targets.items():
        holder = next((ref for ref, name in aliases(data).items() if name == alias), None)
        if alias in moved_aliases and holder not in (None, target):
            old = entries[holder]
            del old["alias"]
            if not old:
                del entries[holder]
            holder = None
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

    block = object_at(data, "models", "providers", provider.id)
    block["baseUrl"] = provider.base_url()
    block["api"] = provider.api_kind()
    keys = ("models", "providers", provider.id, "models")
    existing = block.get("models", [])
    if not isinstance(existing, list):
        raise ShapeError(keys, "is not an array, so genesis cannot add to it")
    if bad := [index for index, item in enumerate(existing) if not isinstance(item, dict)]:
        raise ShapeError((*keys, bad[0]), "is not an object (a model entry is { id, name, ... })")
    # the refs the primary, a fallback or an alias names (a bare ``{}`` does not)
    fallbacks = model.get("fallbacks")
    named = {f for f in fallbacks if isinstance(f, str)} if isinstance(fallbacks, list) else set()
    named |= {model["primary"], *aliases(data)}
    block["models"], registration.models = merge_models(provider, existing, models, prune, named)
    registration.warnings += [
        f"{kept} left the live catalog but is kept in the config: the default, a fallback or "
        "an alias names it"
        for kept in registration.models.kept
    ]
    registration.warnings += inverted_aliases(data)
    default = [registration.default] if provider.model_id(registration.default) else []
    aliased = list(registration.aliases.values())
    allow(data, list(dict.fromkeys([*default, *aliased, *(provider.ref(m.id) for m in models)])))
    if exec_provider is not None:
        registration.warnings += link_credential(data, provider, *exec_provider)

    profiles = object_at(data, "auth", "profiles")
    kept = profiles.get(profile_id)
    kept = kept if isinstance(kept, dict) else {}
    profiles[profile_id] = {**kept, "provider": provider.id, "mode": mode}
    return registration
