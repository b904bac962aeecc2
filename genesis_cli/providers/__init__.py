"""Providers as data: the ``Provider`` type.

A provider is one ``Provider`` value plus its catalog file; what only one provider has (an
app registration API, an account API, its error format) hangs off that value, so the layers
that take a ``Provider`` never name a provider. ``providers.lookup`` finds one by id.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from genesis_cli.errors import UsageError
from genesis_cli.providers.catalog_file import read_catalog
from genesis_cli.text import redact

if TYPE_CHECKING:
    from pathlib import Path
    from types import ModuleType

    from genesis_cli.http import Response

DEFAULT_ID = "chutes"


@dataclass(frozen=True)
class RowMapping:
    """Where a provider's ``/models`` rows keep each fact; ``None`` or ``()`` where they do
    not say it (a plain OpenAI-compatible row has only ``id``)."""

    context: tuple[str, ...] = ()  # the first that holds a number wins
    max_tokens: tuple[str, ...] = ()
    input: str | None = None  # a list of modalities
    features: str | None = None  # a list naming reasoning, tools, structured_outputs, json_mode
    pricing: str | None = None  # an object holding the three prices below (USD per 1M tokens)
    price_input: str | None = None
    price_output: str | None = None
    price_cache_read: str | None = None
    confidential: str | None = None  # true for a model that runs in a TEE
    deployment_id: str | None = None  # where its attestation evidence is filed


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
    catalog_path: str | Path  # str for the bundled ones: no pathlib at start-up
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
    # The text of an error answer's JSON body (``None``: not in this format), when the
    # provider has an error format; otherwise the body is shown as it is.
    error_detail: Callable[[Any], str | None] | None = None
    # Services only this provider has, as modules loaded on first use: an OAuth app
    # registration API (``create``, ``delete``, ...) and an account reader (``read``).
    apps_module: str | None = None
    account_module: str | None = None

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
        provider's keys or tokens replaced, then cut to ``limit``."""
        return redact(text, secrets, self.token_prefixes, limit)

    def error_text(
        self, response: Response, secrets: tuple[str | None, ...], limit: int = 300
    ) -> str:
        """What the server said in an error answer (untrusted: shown, never read), redacted."""
        try:
            text = self.error_detail(response.json()) if self.error_detail else None
        except ValueError:
            text = None
        if text is None:
            text = response.body[:65536].decode("utf-8", "replace")
        return self.redact(text, secrets, limit)

    def apps(self) -> ModuleType:
        """The OAuth app registration API; a usage error for a provider without one."""
        return self._service(self.apps_module, "Sign in app")

    def account(self) -> ModuleType:
        """The account reader; a usage error for a provider without one."""
        return self._service(self.account_module, "account")

    def _service(self, module: str | None, what: str) -> ModuleType:
        self.api_base_url()  # a provider without a management API says so first
        if module is None:
            raise self._unsupported(f"{what} API")
        return importlib.import_module(module)  # loaded only by the commands that use it

    # --- the bundled catalog ------------------------------------------------------------

    def bundled_data(self) -> dict[str, Any]:
        return read_catalog(self.catalog_path)

    def default_model_ref(self) -> str:
        return self.ref(str(self.bundled_data()["defaultModel"]))

    def default_aliases(self) -> dict[str, str]:
        """Alias name -> model ref, in the order they are registered."""
        return {name: self.ref(target) for name, target in self.bundled_data()["aliases"].items()}

    def api_kind(self) -> str:
        return str(self.bundled_data()["api"])

    # --- URLs (env first, checked) ------------------------------------------------------

    def _url(self, suffix: str, default: str | Callable[[], str]) -> str:
        """``<PREFIX>_<suffix>``, checked, else ``default`` (called only then)."""
        variable = self.env(suffix)
        value = os.environ.get(variable, "").strip()
        if value:
            from genesis_cli.urls import check_service_url  # only when the variable is set

            return check_service_url(value, variable)
        return default() if callable(default) else default

    def base_url(self) -> str:
        """The OpenAI-compatible API: ``/models``, ``/chat/completions`` under it."""
        return self._url("BASE_URL", lambda: str(self.bundled_data()["baseUrl"]))

    def api_base_url(self) -> str:
        """The management API (``/idp/apps``, ``/users/me``, ...)."""
        if self.api_base_url_default is None:
            raise self._unsupported("management API")
        return self._url("API_BASE_URL", self.api_base_url_default)

    def _unsupported(self, what: str) -> UsageError:
        return UsageError(
            f"{self.display_name} has no {what} genesis knows",
            hint="this command works with providers that have one, such as Chutes",
        )

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
