"""Providers as data: the ``Provider`` type, and finding a provider by id.

A provider is one module holding one ``Provider`` value (``PROVIDER``) plus its catalog file.
The built-in one is Chutes; others come from the ``genesis_cli.providers`` entry-point group
(``acme = "acme_genesis:PROVIDER"``), looked up only when an id is not built in. ``cli``
picks the provider; every layer below takes it as an argument.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from genesis_cli.errors import GenesisError, UsageError
from genesis_cli.text import redact

if TYPE_CHECKING:
    from pathlib import Path

ENTRY_POINT_GROUP = "genesis_cli.providers"
DEFAULT_ID = "chutes"
_BUILT_IN = {"chutes": "genesis_cli.providers.chutes"}
_ID = re.compile(r"[a-z][a-z0-9-]{0,31}\Z")


@dataclass(frozen=True)
class RowMapping:
    """Where a provider's ``/models`` rows keep each fact. The defaults are the field names
    of OpenAI-compatible servers that say more than ``id`` (Chutes, vLLM, OpenRouter-like)."""

    context: tuple[str, ...] = ("context_length", "max_model_len")
    max_tokens: tuple[str, ...] = ("max_output_length",)
    input: str = "input_modalities"
    features: str = "supported_features"
    pricing: str = "pricing"
    price_input: str = "prompt"
    price_output: str = "completion"
    price_cache_read: str = "input_cache_read"
    confidential: str = "confidential_compute"
    deployment_id: str = "chute_id"


@dataclass(frozen=True)
class SignIn:
    """OAuth (authorization code + PKCE) facts, for a provider that offers it."""

    default_redirect_uri: str
    scopes: tuple[str, ...]
    docs_url: str
    # Where the IdP lives when ``<PREFIX>_OAUTH_BASE_URL`` is unset: under the management
    # API (``{api}``) or a fixed URL.
    base_url: str = "{api}/idp"
    # How the IdP's access tokens begin (``cak_``): such a value in ``<PREFIX>_API_KEY`` is
    # an OAuth token, never taken for an API key.
    access_token_prefix: str = ""


@dataclass(frozen=True)
class Attestation:
    """Where a provider publishes the evidence of its confidential-computing instances:
    paths under the management API, ``{id}`` being a model's deployment id."""

    # The instances' end-to-end public keys (credential needed).
    instances: str
    # Per-instance TDX quote, TLS certificate and GPU evidence for ``?nonce=<64 hex>``.
    evidence: str
    # The measurements (MRTD, RTMR0-3) of the images the provider accepts.
    measurements: str


@dataclass(frozen=True)
class Provider:
    """Everything genesis knows about one provider. Env names derive from ``env_prefix``."""

    id: str
    display_name: str
    env_prefix: str
    catalog_path: Path
    api_keys_url: str
    site_url: str  # where an account is managed (balance, subscription)
    # A key of the documented shape (others are stored, with a warning), and the words
    # that describe it in that warning.
    key_pattern: re.Pattern[str] | None = None
    key_shape: str = ""
    # Prefixes of this provider's keys and tokens (``cpk`` in ``cpk_...``): anything shaped
    # like one is masked in server text that genesis shows.
    token_prefixes: tuple[str, ...] = ()
    rows: RowMapping = field(default_factory=RowMapping)
    sign_in: SignIn | None = None
    # The management API (apps, account, quotas), for providers that have one.
    api_base_url_default: str | None = None
    # For providers whose models run in TEEs and publish evidence (``models verify``).
    attestation: Attestation | None = None

    def __repr__(self) -> str:
        return f"Provider({self.id!r})"

    # --- names --------------------------------------------------------------------------

    def env(self, suffix: str) -> str:
        return f"{self.env_prefix}_{suffix}"

    @property
    def api_key_env(self) -> str:
        return self.env("API_KEY")

    @property
    def oauth_token_env(self) -> str:
        return self.env("OAUTH_TOKEN")

    @property
    def client_id_env(self) -> str:
        return self.env("CLIENT_ID")

    @property
    def client_secret_env(self) -> str:
        return self.env("CLIENT_SECRET")

    @property
    def redirect_uri_env(self) -> str:
        return self.env("OAUTH_REDIRECT_URI")

    @property
    def scopes_env(self) -> str:
        return self.env("OAUTH_SCOPES")

    @property
    def default_profile(self) -> str:
        return f"{self.id}:default"

    @property
    def oauth_fallback_profile(self) -> str:
        return f"{self.id}:oauth"

    @property
    def api_key_choice(self) -> str:
        """The ``onboard --auth-choice`` value that stores an API key."""
        return f"{self.id}-api-key"

    def ref(self, model_id: str) -> str:
        return f"{self.id}/{model_id}"

    def model_id(self, ref: str) -> str | None:
        """The model id of one of this provider's refs; ``None`` for another provider's."""
        prefix = f"{self.id}/"
        return ref.removeprefix(prefix) if ref.startswith(prefix) else None

    def redact(self, text: str, secrets: tuple[str | None, ...], limit: int = 300) -> str:
        """Server text made fit to show: ``secrets`` and anything shaped like one of this
        provider's keys or tokens replaced, then cut to ``limit`` (``text.redact``)."""
        return redact(text, secrets, self.token_prefixes, limit)

    # --- the bundled catalog ------------------------------------------------------------

    def bundled_data(self) -> dict[str, Any]:
        return _read_catalog(self.catalog_path)

    def default_model_ref(self) -> str:
        return self.ref(str(self.bundled_data()["defaultModel"]))

    def default_aliases(self) -> dict[str, str]:
        """Alias name -> model ref, in the order they are registered."""
        return {name: self.ref(target) for name, target in self.bundled_data()["aliases"].items()}

    def api_kind(self) -> str:
        return str(self.bundled_data()["api"])

    # --- URLs (env first, checked) ------------------------------------------------------

    def _url(self, suffix: str, default: str) -> str:
        variable = self.env(suffix)
        value = os.environ.get(variable, "").strip()
        if value:
            from genesis_cli.http import check_service_url

            return check_service_url(value, variable)
        return default

    def base_url(self) -> str:
        """The OpenAI-compatible API: ``/models``, ``/chat/completions`` under it."""
        return self._url("BASE_URL", str(self.bundled_data()["baseUrl"]))

    def api_base_url(self) -> str:
        """The management API (``/idp/apps``, ``/users/me``, ...)."""
        if self.api_base_url_default is None:
            raise UsageError(
                f"{self.display_name} has no management API genesis knows",
                hint="this command works with providers that have one, such as Chutes",
            )
        return self._url("API_BASE_URL", self.api_base_url_default)

    def oauth_base_url(self) -> str:
        """The IdP: ``/authorize``, ``/token``, ``/userinfo``, ``/token/revoke`` under it."""
        facts = self.require_sign_in()
        default = facts.base_url
        if "{api}" in default:
            default = default.format(api=self.api_base_url())
        return self._url("OAUTH_BASE_URL", default)

    def require_sign_in(self) -> SignIn:
        if self.sign_in is None:
            raise UsageError(
                f"{self.display_name} has no OAuth sign-in",
                hint=f"use --auth-choice {self.api_key_choice}",
            )
        return self.sign_in


# What a catalog file must hold, and of which type: read from disk, so checked.
_CATALOG_FIELDS = {"baseUrl": str, "api": str, "defaultModel": str, "aliases": dict, "models": list}


@functools.cache
def _read_catalog(path: Path) -> dict[str, Any]:
    import json

    try:
        with path.open("rb") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise _bad_catalog(path, str(getattr(exc, "strerror", None) or exc)) from None
    if not isinstance(data, dict):
        raise _bad_catalog(path, "the top level is not an object")
    for key, kind in _CATALOG_FIELDS.items():
        if not isinstance(data.get(key), kind):
            raise _bad_catalog(path, f"{key!r} is missing or not a {kind.__name__}")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in data["aliases"].items()):
        raise _bad_catalog(path, "'aliases' maps names to model ids (strings)")
    return data


def _bad_catalog(path: Path, problem: str) -> GenesisError:
    return GenesisError(
        f"the bundled catalog {path} is unusable: {problem}",
        hint="reinstall genesis, or the package of the provider it belongs to",
    )


def get(provider_id: str) -> Provider:
    """The provider called ``provider_id``: built in, else from an installed entry point."""
    import importlib

    found: Any = None
    if provider_id in _BUILT_IN:
        found = importlib.import_module(_BUILT_IN[provider_id]).PROVIDER
    elif _ID.match(provider_id):
        found = _from_entry_points(provider_id)
    if not isinstance(found, Provider) or found.id != provider_id:
        raise UsageError(
            f"unknown provider {provider_id!r}",
            hint=f"known providers: {', '.join(known())}",
        )
    return found


def known() -> list[str]:
    """Built-in ids, then those installed packages declare."""
    from importlib.metadata import entry_points

    declared = [p.name for p in entry_points(group=ENTRY_POINT_GROUP) if _ID.match(p.name)]
    return [*_BUILT_IN, *(name for name in dict.fromkeys(declared) if name not in _BUILT_IN)]


def bundled_catalog_path(name: str) -> Path:
    """A catalog file genesis ships: inside the installed package (``genesis_cli/catalogs``),
    or at the top of a source checkout (``catalogs/``)."""
    from pathlib import Path

    here = Path(__file__).resolve().parent.parent
    installed = here / "catalogs" / name
    return installed if installed.is_file() else here.parent / "catalogs" / name


def _from_entry_points(name: str) -> Any:
    """What an installed package declares as provider ``name``, loaded; ``None`` when there
    is none, or it fails to load (a broken plugin must not break genesis)."""
    from importlib.metadata import entry_points

    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name == name:
            try:
                return point.load()
            except Exception:
                return None
    return None
