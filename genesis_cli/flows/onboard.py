"""Onboarding: verify a credential, discover the catalog, write the store and the config."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genesis_cli import catalog, paths
from genesis_cli.config import config_file
from genesis_cli.config.schema import Registration, register
from genesis_cli.errors import AuthError, UsageError
from genesis_cli.flows import availability, openclaw
from genesis_cli.flows.availability import Unavailable
from genesis_cli.fsutil import check_private_dir
from genesis_cli.providers import Provider
from genesis_cli.records import Catalog, mask, sendable
from genesis_cli.store import auth_store, vault
from genesis_cli.store.auth_store import Profile

Warn = Callable[[str], None]


@dataclass
class Choices:
    """What the user chose about the models, beyond the credential."""

    keep_default: bool = False
    default: str | None = None  # --default REF_OR_ALIAS
    # Asked once when the live catalog lacks the default or alias targets: use each one's
    # first suggestion instead? (Only those with a suggestion are passed.)
    substitute: Callable[[list[Unavailable]], bool] | None = None
    probe: bool = False  # --probe: `models test` the new default at the end
    secret_store: str = "file"  # file | keyring (--secret-store, GENESIS_SECRET_STORE)


@dataclass
class Plan:
    """The default and alias targets to register, and what is still missing from the catalog."""

    default_ref: str | None
    alias_targets: dict[str, str]
    unavailable: list[Unavailable] = field(default_factory=list)


@dataclass
class OnboardResult:
    profile: str
    type: str
    masked: str
    catalog: Catalog
    registration: Registration
    config_path: Path
    username: str | None = None
    expires_at: int | None = None
    config_changed: bool = False
    warnings: list[str] = field(default_factory=list)
    unavailable: list[Unavailable] = field(default_factory=list)
    probe: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "type": self.type,
            "username": self.username,
            "masked": self.masked,
            "catalog": {"source": self.catalog.source, "count": len(self.catalog.models)},
            "default": self.registration.default,
            "aliases": self.registration.aliases,
            "skippedAliases": self.registration.skipped,
            "configPath": str(self.config_path),
            "warnings": self.warnings,
            "models": self.registration.models.to_json(),
            "unavailable": [u.to_json() for u in self.unavailable],
            "probe": self.probe,
        }


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
    return key


def key_shape_warning(provider: Provider, key: str) -> str | None:
    if provider.key_pattern is None or provider.key_pattern.fullmatch(key):
        return None
    return (
        f"the key does not look like a {provider.display_name} API key ({provider.key_shape}); "
        "storing it anyway"
    )


def preflight(
    provider: Provider, keep_default: bool, warn: Warn | None, secret_store: str = "file"
) -> None:
    """Fail on an unreadable config or store (exit 4), or a keyring that cannot keep the
    secrets (``--secret-store keyring``), before anything is sent or written."""
    if secret_store == "keyring":
        vault.probe()
    path = paths.config_path()
    document = config_file.load(path)
    with config_file.located(document):
        register(
            provider,
            copy.deepcopy(document.data),
            [],
            profile_id=provider.default_profile,
            mode="api_key",
            keep_default=keep_default,
            exec_provider=(openclaw.secret_provider_name(provider), {}),  # its shape only
        )
    auth_store.load(warn)
    if paths.state_dir().exists():
        check_private_dir(paths.state_dir())  # where the secrets will go
    credential_reference(provider, {})  # OpenClaw can run this genesis


def credential_reference(
    provider: Provider, profiles: dict[str, Profile], warnings: list[str] | None = None
) -> tuple[str, dict[str, Any]]:
    """The exec secret provider through which OpenClaw asks genesis for the credential."""
    entry = openclaw.exec_provider(
        provider, profiles, warn=warnings.append if warnings is not None else None
    )
    return openclaw.secret_provider_name(provider), entry


def plan_models(provider: Provider, found: Catalog, choices: Choices, warnings: list[str]) -> Plan:
    """The default and alias targets to register, decided before anything is written.

    ``--default`` must name a model of the catalog in use (else exit 2, nothing written).
    After a live discovery, the default and each alias target the catalog lacks are offered
    a substitute (``choices.substitute``) or reported in ``warnings`` and ``unavailable``.
    """
    from genesis_cli.flows.default_model import resolve_ref

    ids = [m.id for m in found.models]
    targets = provider.default_aliases()
    needs_config = choices.default is not None or choices.keep_default
    config = config_file.load(paths.config_path()).data if needs_config else {}
    default_ref = None
    if choices.default is not None:
        default_ref = resolve_ref(provider, choices.default, config, set(ids))
        if provider.model_id(default_ref) not in ids:
            tips = availability.suggest(provider, default_ref.split("/", 1)[-1], ids)
            raise UsageError(
                f"--default {choices.default}: {default_ref} is not in the {found.source} "
                "catalog (nothing was written)",
                hint=f"try {', '.join(tips)}" if tips else "see `genesis models list --refresh`",
            )
    plan = Plan(default_ref, dict(targets))
    if found.source != "live":
        return plan
    kept = config_file.primary_model(config) if choices.keep_default else None
    primary = default_ref or kept or provider.default_model_ref()
    missing = availability.check(provider, ids, primary, targets)
    replaceable = [m for m in missing if m.suggestions]
    if replaceable and choices.substitute and choices.substitute(replaceable):
        for item in replaceable:
            if item.role == "primary":
                plan.default_ref = item.suggestions[0]
            else:
                plan.alias_targets[item.role.removeprefix("alias:")] = item.suggestions[0]
        missing = [m for m in missing if not m.suggestions]
    for item in missing:
        plan.unavailable.append(item)
        warnings.append(item.warning(found.source))
    return plan


def write_everything(
    provider: Provider,
    profile: Profile,
    found: Catalog,
    *,
    choices: Choices,
    warn: Warn | None,
    warnings: list[str],
) -> tuple[Registration, bool, Path, Plan]:
    """Plan the models, store the profile, register it in the config, cache a live catalog.

    What registering found worth saying (kept models, reversed aliases, missing models)
    goes to ``warnings``.
    """
    from genesis_cli.flows.refresh import profile_lock

    plan = plan_models(provider, found, choices, warnings)
    with profile_lock():  # a refresh of the old profile in flight cannot undo this sign-in
        old = auth_store.load(warn).profiles.get(profile.id)
        if choices.secret_store == "keyring":
            # The entries first, then the store that refers to them: a kill in between
            # leaves the old profile, whose entries (same names) now hold the new secrets.
            profile = vault.stash(profile, all_fields=True)
        auth_store.update(lambda profiles: profiles.__setitem__(profile.id, profile), warn)
        if old is not None and choices.secret_store == "file":
            vault.forget(old)  # it moved back to the file: no stale copy in the keyring
    reference = credential_reference(provider, auth_store.load(warn).profiles, warnings)
    path = paths.config_path()
    mode = "api_key" if profile.type == "api_key" else "oauth"
    registration, changed = config_file.update(
        path,
        lambda data: register(
            provider,
            data,
            found.models,
            profile_id=profile.id,
            mode=mode,
            keep_default=choices.keep_default,
            prune=found.source == "live",
            default_ref=plan.default_ref,
            alias_targets=plan.alias_targets,
            exec_provider=reference,
        ),
    )
    warnings += registration.warnings
    shadowed = openclaw.shadowing_key(provider)
    if shadowed is not None:
        warnings.append(f"{shadowed[0]}; to use genesis's: {shadowed[1]}")
    if found.source == "live" and found.fetched_at is not None:
        catalog.save_cache(provider, found.models, found.fetched_at, warnings)
    return registration, changed, path, plan


def finish(
    provider: Provider, result: OnboardResult, secret: str, choices: Choices
) -> OnboardResult:
    """``--probe``: one `models test` of the new default; never fails the onboarding."""
    if choices.probe:
        from genesis_cli.flows.model_test import test_model

        result.probe = test_model(provider, result.registration.default, secret).to_json()
    return result


def onboard_api_key(
    provider: Provider,
    raw_key: str,
    *,
    warn: Warn | None = None,
    choices: Choices | None = None,
) -> OnboardResult:
    choices = choices or Choices()
    key = normalize_api_key(provider, raw_key)
    warnings = [w for w in [key_shape_warning(provider, key)] if w]
    preflight(provider, choices.keep_default, warn, choices.secret_store)
    try:
        found = catalog.discover(provider, key, reject_is_fatal=True)
    except catalog.CredentialRejected:
        raise AuthError(
            f"{provider.display_name} rejected this API key (nothing was saved)",
            hint=f"check the key, or create a new one at {provider.api_keys_url}",
        ) from None
    warnings += found.warnings
    if found.fell_back:
        warnings.append("could not verify the API key; stored it anyway")
    profile = Profile(id=provider.default_profile, type="api_key", provider=provider.id, key=key)
    registration, changed, path, plan = write_everything(
        provider, profile, found, choices=choices, warn=warn, warnings=warnings
    )
    result = OnboardResult(
        profile=profile.id,
        type="api_key",
        masked=mask(key) or "",
        catalog=found,
        registration=registration,
        config_path=path,
        config_changed=changed,
        warnings=warnings,
        unavailable=plan.unavailable,
    )
    return finish(provider, result, key, choices)
