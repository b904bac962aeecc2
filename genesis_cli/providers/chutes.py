"""Everything genesis knows about Chutes: URLs, env names, defaults and the bundled catalog.

Catalog-shaped facts (base URL, default model, aliases, the starter models) live in
``catalogs/chutes.json`` so they are data, not code; the rest is here.
"""

from __future__ import annotations

import functools
import os
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

ID = "chutes"
DISPLAY_NAME = "Chutes"

API_KEY_ENV = "CHUTES_API_KEY"
OAUTH_TOKEN_ENV = "CHUTES_OAUTH_TOKEN"
CLIENT_ID_ENV = "CHUTES_CLIENT_ID"
CLIENT_SECRET_ENV = "CHUTES_CLIENT_SECRET"
REDIRECT_URI_ENV = "CHUTES_OAUTH_REDIRECT_URI"
SCOPES_ENV = "CHUTES_OAUTH_SCOPES"
BASE_URL_ENV = "CHUTES_BASE_URL"
OAUTH_BASE_URL_ENV = "CHUTES_OAUTH_BASE_URL"
API_BASE_URL_ENV = "CHUTES_API_BASE_URL"

DEFAULT_API_BASE_URL = "https://api.chutes.ai"
DEFAULT_REDIRECT_URI = "http://127.0.0.1:1456/oauth-callback"
DEFAULT_SCOPES = ("openid", "profile", "chutes:invoke")
API_KEYS_URL = "https://chutes.ai/settings/api-keys"
OAUTH_DOCS_URL = "https://chutes.ai/docs/sign-in-with-chutes/overview"

API_KEY_PATTERN = re.compile(r"cpk_[0-9a-f]{32}\.[0-9a-f]{32}\.[0-9A-Za-z]{32}")

DEFAULT_PROFILE = f"{ID}:default"
OAUTH_FALLBACK_PROFILE = f"{ID}:oauth"

_CATALOG_NAME = "chutes.json"


def catalog_file() -> Path:
    """The bundled catalog: inside the installed package, or at the top of a source checkout."""
    from pathlib import Path

    here = Path(__file__).resolve().parent.parent
    installed = here / "catalogs" / _CATALOG_NAME
    if installed.is_file():
        return installed
    return here.parent / "catalogs" / _CATALOG_NAME


@functools.cache
def bundled_data() -> dict[str, Any]:
    import json

    with catalog_file().open("rb") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def ref(model_id: str) -> str:
    return f"{ID}/{model_id}"


def default_model_ref() -> str:
    return ref(str(bundled_data()["defaultModel"]))


def default_aliases() -> dict[str, str]:
    """Alias name -> model ref, in the order they are registered."""
    return {name: ref(target) for name, target in bundled_data()["aliases"].items()}


def base_url() -> str:
    env = os.environ.get(BASE_URL_ENV, "").strip()
    if env:
        from genesis_cli.http import check_service_url

        return check_service_url(env, BASE_URL_ENV)
    return str(bundled_data()["baseUrl"])


def api_kind() -> str:
    return str(bundled_data()["api"])


def _service_url(variable: str, default: str) -> str:
    env = os.environ.get(variable, "").strip()
    if env:
        from genesis_cli.http import check_service_url

        return check_service_url(env, variable)
    return default


def api_base_url() -> str:
    """The management API: ``/idp/apps``, ``/users/me``, ... under it."""
    return _service_url(API_BASE_URL_ENV, DEFAULT_API_BASE_URL)


def oauth_base_url() -> str:
    """The IdP: ``/authorize``, ``/token``, ``/userinfo``, ``/token/revoke`` under it."""
    return _service_url(OAUTH_BASE_URL_ENV, f"{api_base_url()}/idp")
