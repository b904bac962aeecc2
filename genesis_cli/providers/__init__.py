"""The ``Provider`` type: a provider is one value plus its catalog file. What only one
provider has hangs off that value, so the layers that take a ``Provider`` name none.
This module loads on every command: NamedTuples with runtime annotations are the cheapest
classes to create (a dataclass or a string annotation costs a compile)."""

import importlib
import os
import re
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

from genesis_cli.errors import UsageError
from genesis_cli.providers.catalog_file import read_catalog
from genesis_cli.text import redact

if TYPE_CHECKING:
    from genesis_cli.http import Response

DEFAULT_ID = "chutes"


class RowMapping(NamedTuple):
    """Where a provider's ``/models`` rows keep each fact; empty where they do not say it."""

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


class SignIn(NamedTuple):
    """OAuth (authorization code + PKCE), for a provider that offers it."""

    default_redirect_uri: str
    scopes: tuple[str, ...]
    docs_url: str
    # The IdP when ``<PREFIX>_OAUTH_BASE_URL`` is unset: under the management API or fixed.
    base_url: str = "{api}/idp"
    # An access token's prefix (``cak_``): such a ``<PREFIX>_API_KEY`` is a token, not a key.
    access_token_prefix: str = ""


class Attestation(NamedTuple):
    """Paths under the management API of TEE evidence, ``{id}`` a model's deployment id."""

    instances: str  # the instances' end-to-end public keys (credential needed)
    evidence: str  # per instance: TDX quote, TLS certificate, GPU evidence for ?nonce=<64 hex>
    measurements: str  # MRTD, RTMR0-3 of the images the provider accepts


class Provider(NamedTuple):
    """Everything genesis knows about one provider. Env names derive from ``env_prefix``."""

    id: str
    display_name: str
    env_prefix: str
    catalog_path: str | os.PathLike[str]  # str for the bundled ones: no pathlib at start-up
    api_keys_url: str
    site_url: str  # where an account is managed (balance, subscription)
    # The documented key shape (others are stored, with a warning) and its description.
    key_pattern: re.Pattern[str] | None = None
    key_shape: str = ""
    # Prefixes of keys and tokens (``cpk`` in ``cpk_...``): masked in server text shown.
    token_prefixes: tuple[str, ...] = ()
    rows: RowMapping = RowMapping()
    sign_in: SignIn | None = None
    api_base_url_default: str | None = None  # the management API (apps, account, quotas)
    attestation: Attestation | None = None  # TEE evidence (``models verify``)
    # An error answer's text from its JSON body (``None``: not in the format), if any.
    error_detail: Callable[[Any], str | None] | None = None
    # Modules of services only this provider has, loaded on first use.
    apps_module: str | None = None
    account_module: str | None = None

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
        """Server text fit to show: ``secrets`` and this provider's key shapes hidden, cut."""
        return redact(text, secrets, self.token_prefixes, limit)

    def error_text(
        self, response: "Response", secrets: tuple[str | None, ...], limit: int = 300
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
        return importlib.import_module(module)

    def bundled_data(self) -> dict[str, Any]:
        return read_catalog(os.fspath(self.catalog_path))

    def default_model_ref(self) -> str:
        return self.ref(str(self.bundled_data()["defaultModel"]))

    def default_aliases(self) -> dict[str, str]:
        """Alias name -> model ref, in the order they are registered."""
        return {name: self.ref(target) for name, target in self.bundled_data()["aliases"].items()}

    def api_kind(self) -> str:
        return str(self.bundled_data()["api"])

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
        default = self.require_sign_in().base_url
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
