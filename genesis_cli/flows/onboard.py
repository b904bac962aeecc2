"""Onboarding: verify a credential, discover the catalog, write the store and the config."""

from __future__ import annotations

import contextlib
import copy
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genesis_cli import auth_store, catalog, config_file, paths
from genesis_cli.auth_store import Profile
from genesis_cli.errors import AuthError, UsageError
from genesis_cli.flows.register import Registration, register
from genesis_cli.providers import chutes
from genesis_cli.records import Catalog, mask

Warn = Callable[[str], None]
# A pasted shell line: "export CHUTES_API_KEY=..." or "CHUTES_API_KEY=...". Only that name,
# so a key that happens to contain "=" is never cut.
_EXPORT_PREFIX = re.compile(rf"^(?:export\s+)?{chutes.API_KEY_ENV}\s*=\s*")


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
        }


def normalize_api_key(raw: str) -> str:
    """Trim whitespace, one pair of quotes and an ``export CHUTES_API_KEY=`` prefix."""
    key = raw.strip()
    key = _EXPORT_PREFIX.sub("", key, count=1).strip()
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "\"'":
        key = key[1:-1].strip()
    if not key:
        raise UsageError(
            "the API key is empty", hint=f"create one at {chutes.API_KEYS_URL} and try again"
        )
    if any(ch.isspace() or not ch.isprintable() for ch in key):
        raise UsageError(
            "the API key contains spaces or control characters",
            hint="paste the key alone, as Chutes shows it",
        )
    return key


def key_shape_warning(key: str) -> str | None:
    if chutes.API_KEY_PATTERN.fullmatch(key):
        return None
    return (
        "the key does not look like a Chutes API key (cpk_<32 hex>.<32 hex>.<32 "
        "letters/digits>); storing it anyway"
    )


def preflight(keep_default: bool, warn: Warn | None) -> None:
    """Fail (exit 4) on an unreadable config or store before anything is sent or written."""
    path = paths.config_path()
    document = config_file.load(path)
    with config_file.located(document):
        register(
            copy.deepcopy(document.data),
            [],
            profile_id=chutes.DEFAULT_PROFILE,
            mode="api_key",
            keep_default=keep_default,
        )
    auth_store.load(warn)


def discover(credential: str | None, *, reject_is_fatal: bool) -> tuple[Catalog, list[str]]:
    """The live catalog fetched with ``credential``, else the bundled one.

    A 401/403 is fatal for an API key being onboarded; for a fresh OAuth token it is a
    warning and the (public) list is fetched once more without the token.
    """
    try:
        models = catalog.fetch_live(credential)
    except catalog.CredentialRejected:
        if reject_is_fatal:
            raise AuthError(
                f"{chutes.DISPLAY_NAME} rejected this API key (nothing was saved)",
                hint=f"check the key, or create a new one at {chutes.API_KEYS_URL}",
            ) from None
        found, _ = discover(None, reject_is_fatal=False)
        return found, [f"{chutes.DISPLAY_NAME} rejected the new token when listing models"]
    except catalog.CatalogUnavailable as exc:
        return catalog.bundled_catalog(exc.message, fell_back=True), []
    return Catalog(provider=chutes.ID, source="live", models=models, fetched_at=time.time()), []


def write_everything(
    profile: Profile,
    found: Catalog,
    *,
    keep_default: bool,
    warn: Warn | None,
    warnings: list[str],
) -> tuple[Registration, bool, Path]:
    """Store the profile, then register it in the config, then cache a live catalog.

    What registering found worth saying (kept models, reversed aliases) goes to ``warnings``.
    """
    auth_store.update(lambda profiles: profiles.__setitem__(profile.id, profile), warn)
    path = paths.config_path()
    mode = "api_key" if profile.type == "api_key" else "oauth"
    registration, changed = config_file.update(
        path,
        lambda data: register(
            data,
            found.models,
            profile_id=profile.id,
            mode=mode,
            keep_default=keep_default,
            prune=found.source == "live",
        ),
    )
    warnings += registration.warnings
    if found.source == "live" and found.fetched_at is not None:
        with contextlib.suppress(OSError):
            catalog.write_cache(found.models, found.fetched_at)
    return registration, changed, path


def onboard_api_key(raw_key: str, *, keep_default: bool, warn: Warn | None = None) -> OnboardResult:
    key = normalize_api_key(raw_key)
    warnings = [w for w in [key_shape_warning(key)] if w]
    preflight(keep_default, warn)
    found, extra = discover(key, reject_is_fatal=True)
    warnings += extra
    if found.fell_back:
        warnings.append(
            f"could not verify the API key ({found.reason}); stored it anyway "
            "and registered the bundled catalog"
        )
    profile = Profile(id=chutes.DEFAULT_PROFILE, type="api_key", provider=chutes.ID, key=key)
    registration, changed, path = write_everything(
        profile, found, keep_default=keep_default, warn=warn, warnings=warnings
    )
    return OnboardResult(
        profile=profile.id,
        type="api_key",
        masked=mask(key) or "",
        catalog=found,
        registration=registration,
        config_path=path,
        config_changed=changed,
        warnings=warnings,
    )
