"""Onboarding: check what could refuse a write, verify the credential and discover the
catalog, then write the store, the config and the cache, in that order."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genesis_cli import catalog, fsutil, http, paths
from genesis_cli.config import config_file
from genesis_cli.config.schema import ModelChanges, register
from genesis_cli.errors import AuthError, UsageError
from genesis_cli.flows import availability, openclaw
from genesis_cli.flows.availability import Unavailable
from genesis_cli.flows.credentials import is_oauth_token
from genesis_cli.flows.default_model import resolve_ref
from genesis_cli.flows.refresh import profile_lock
from genesis_cli.providers import Provider
from genesis_cli.records import Catalog, to_json
from genesis_cli.store import auth_store, vault
from genesis_cli.store.auth_store import Profile
from genesis_cli.text import mask, sendable, shell_word
from genesis_cli.warning_log import collect_warnings, warn


@dataclass
class Choices:
    """What the user chose about the models, beyond the credential."""

    keep_default: bool = False
    default: str | None = None  # --default REF_OR_ALIAS
    # Asked once when the live catalog lacks the default or alias targets (those with a
    # suggestion): use each one's first suggestion instead?
    substitute: Callable[[list[Unavailable]], bool] | None = None
    probe: bool = False  # --probe: `models test` the new default at the end
    secret_store: str = "file"  # file | keyring


@dataclass
class Plan:
    """The default and alias targets to register, and what the catalog lacks."""

    default_ref: str | None
    alias_targets: dict[str, str]
    unavailable: list[Unavailable] = field(default_factory=list)
    moved: frozenset[str] = frozenset()  # aliases whose suggested target the user accepted


@dataclass
class OnboardResult:
    profile: str
    type: str
    username: str | None
    masked: str
    found: Catalog
    default: str
    aliases: dict[str, str]  # alias -> model ref, now in place
    skipped_aliases: list[dict[str, str]]
    config_path: Path
    warnings: list[str]
    models: ModelChanges
    unavailable: list[Unavailable]
    expires_at: int | None = None
    config_changed: bool = False
    probe: dict[str, Any] | None = None

    json_keys = ("profile", "type", "username", "masked", "catalog", "default", "aliases",
                 "skipped_aliases", "config_path", "warnings", "models", "unavailable",
                 "probe")  # fmt: skip

    @property
    def catalog(self) -> dict[str, Any]:
        return {"source": self.found.source, "count": len(self.found.models)}


def normalize_api_key(provider: Provider, raw: str) -> str:
    """Trim whitespace, one pair of quotes and an ``export CHUTES_API_KEY=`` prefix."""
    key = raw.strip()
    # A pasted shell line: "export CHUTES_API_KEY=..." or "CHUTES_API_KEY=...". Only that
    # name, so a key that happens to contain "=" is never cut.
    prefix = rf"^(?:export\s+)?{re.escape(provider.api_key_env)}\s*=\s*"
    key = re.sub(prefix, "", key, count=1).strip()
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "\"'":
        key = key[1:-1].strip()
    if not key:
        raise UsageError(
            "the API key is empty", hint=f"create one at {provider.api_keys_url} and try again"
        )
    if any(ch.isspace() or not ch.isprintable() for ch in key):
        raise UsageError(
            "the API key contains spaces or control characters",
            hint=f"paste the key alone, as {provider.display_name} shows it",
        )
    if not sendable(key):
        raise UsageError(
            "the API key holds characters that are not ASCII (is it a masked cpk_…wxyz copied "
            "from a listing?)",
            hint=f"copy the whole key from {provider.api_keys_url}",
        )
    if is_oauth_token(provider, key):  # e.g. the token `genesis exec` exported
        raise UsageError(
            f"that is an OAuth access token, not a {provider.display_name} API key",
            hint=f"create an API key at {provider.api_keys_url}, or sign in with "
            f"--auth-choice {provider.id}",
        )
    return key


def preflight(provider: Provider, choices: Choices) -> None:
    """Fail before anything is sent or written: an unreadable config or store (exit 4), a
    missing CA bundle (exit 1), a keyring that cannot keep the secrets, a ``--default`` of a
    bad form (exit 2; whether the catalog has it is known only after ``verify``)."""
    http.check_ca_bundles()
    if choices.secret_store == "keyring":
        vault.probe()
    path = paths.config_path()
    document = config_file.load(path)
    if choices.default is not None:
        resolve_ref(provider, choices.default, document.data, None)
    config_file.check_writable(path)
    auth_store.check_paths()
    with collect_warnings(pass_on=False):  # said once, when the reference is written
        reference = openclaw.exec_provider(provider, {}, {})  # OpenClaw can run this genesis
    data = copy.deepcopy(document.data)
    with config_file.located(document):  # a config genesis cannot change, on a copy
        register(
            provider,
            data,
            [],
            profile_id=provider.default_profile,
            mode="api_key",
            keep_default=choices.keep_default,
            exec_provider=reference,
        )
    auth_store.load()
    with fsutil.reported_write_errors(path):  # text the config could not be written in
        json.dumps(data, ensure_ascii=False).encode()


def plan_models(provider: Provider, found: Catalog, choices: Choices) -> Plan:
    """The default and alias targets, decided before anything is written (docs/models.md).

    ``--default`` must be in the catalog in use (else exit 2). After a live discovery, each
    target the catalog lacks is offered a substitute or warned about. Earlier choices stay:
    an alias the config points elsewhere keeps its target, and a configured default in the
    live catalog stays while the product's is gone from it.
    """
    ids = [m.id for m in found.models]
    config = config_file.load(paths.config_path()).data
    held = {  # this provider's models the config's aliases name (plain ids only)
        alias: ref
        for ref, alias in config_file.aliases(config).items()
        if provider.model_id(ref) is not None and shell_word(ref)
    }
    targets = {
        alias: held.get(alias, target) for alias, target in provider.default_aliases().items()
    }
    default_ref = None
    if choices.default is not None:
        default_ref = resolve_ref(provider, choices.default, config, set(ids))
        if provider.model_id(default_ref) not in ids:
            raise UsageError(
                f"--default {choices.default}: {default_ref} is not in the {found.source} "
                "catalog (nothing was written)",
                hint=availability.hint(provider, default_ref, ids),
            )
    plan = Plan(default_ref, dict(targets))
    if found.source != "live":
        return plan
    configured = config_file.primary_model(config)
    product = provider.default_model_ref()
    earlier = configured is not None and provider.model_id(configured) in ids
    if default_ref is None and earlier and provider.model_id(product) not in ids:
        plan.default_ref = configured  # a default chosen earlier, while the product's is gone
    kept = configured if choices.keep_default else None
    primary = plan.default_ref or kept or product
    missing = availability.check(provider, found.models, primary, targets)
    replaceable = [m for m in missing if m.suggestions]
    if replaceable and choices.substitute and choices.substitute(replaceable):
        for item in replaceable:
            if item.role == "primary":
                plan.default_ref = item.suggestions[0]
            else:
                alias = item.role.removeprefix("alias:")
                plan.alias_targets[alias] = item.suggestions[0]
                plan.moved |= {alias}
        missing = [m for m in missing if not m.suggestions]
    for item in missing:
        plan.unavailable.append(item)
        warn(item.warning(found.source))
    return plan


def onboard(
    provider: Provider, choices: Choices, verify: Callable[[], tuple[Profile, Catalog]]
) -> OnboardResult:
    """``preflight``, then ``verify`` (the credential and the catalog: the only part that
    reaches the network), then write; the warnings on the way end up on the result."""
    with collect_warnings() as warnings:
        preflight(provider, choices)
        profile, found = verify()
        for message in found.warnings:
            warn(message)
        plan = plan_models(provider, found, choices)
        secret = profile.secret or ""
        stored = profile
        with profile_lock():  # a refresh of the old profile in flight cannot undo this sign-in
            old = auth_store.load().profiles.get(profile.id)
            if choices.secret_store == "keyring":
                # The entries first, then the store that refers to them: a kill in between
                # leaves the old profile, whose entries (same names) now hold the new secrets.
                stored = vault.stash(profile, all_fields=True)
            auth_store.update(lambda profiles: profiles.__setitem__(profile.id, stored))
            if old is not None and choices.secret_store == "file":
                vault.forget(old)  # it moved back to the file: no stale copy in the keyring
        path = paths.config_path()
        reference = openclaw.exec_provider(
            provider, auth_store.load().profiles, config_file.load(path).data
        )
        registration, changed = config_file.update(
            path,
            lambda data: register(
                provider,
                data,
                found.models,
                profile_id=profile.id,
                mode=profile.type,
                keep_default=choices.keep_default,
                prune=found.source == "live",
                default_ref=plan.default_ref,
                alias_targets=plan.alias_targets,
                exec_provider=reference,
                moved_aliases=plan.moved,
            ),
        )
        for message in registration.warnings:
            warn(message)
        shadowed = openclaw.shadowing_key(provider)
        if shadowed is not None:
            warn(f"{shadowed[0]}; to use genesis's: {shadowed[1]}")
        if found.source == "live" and found.fetched_at is not None:
            catalog.save_cache(provider, found.models, found.fetched_at)
    result = OnboardResult(
        profile=profile.id,
        type=profile.type,
        username=profile.username,
        masked=mask(secret) or "",
        found=found,
        default=registration.default,
        aliases=registration.aliases,
        skipped_aliases=registration.skipped,
        config_path=path,
        warnings=warnings,
        models=registration.models,
        unavailable=plan.unavailable,
        expires_at=profile.expires_at,
        config_changed=changed,
    )
    if choices.probe:  # one `models test` of the new default; never fails the onboarding
        from genesis_cli.flows.probe import probe  # ~1 ms of every onboarding otherwise

        result.probe = to_json(probe(provider, registration.default, secret))
    return result


def onboard_api_key(
    provider: Provider, raw_key: str, choices: Choices | None = None
) -> OnboardResult:
    key = normalize_api_key(provider, raw_key)

    def verify() -> tuple[Profile, Catalog]:
        if provider.key_pattern is not None and not provider.key_pattern.fullmatch(key):
            warn(
                f"the key does not look like a {provider.display_name} API key "
                f"({provider.key_shape}); using it anyway"
            )
        try:
            found = catalog.discover(provider, key, reject_is_fatal=True)
        except catalog.CredentialRejected:
            raise AuthError(
                f"{provider.display_name} rejected this API key (nothing was saved)",
                hint=f"check the key, or create a new one at {provider.api_keys_url}",
            ) from None
        if found.fell_back:
            found.warnings.append("could not verify the API key; stored it anyway")
        profile = Profile(provider.default_profile, "api_key", provider.id, key=key)
        return profile, found

    return onboard(provider, choices or Choices(), verify)
