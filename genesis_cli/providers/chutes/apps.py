"""Chutes' OAuth app API (``/idp/apps``, ``/idp/authorizations``), called with an API key:
Chutes has no page to create a "Sign in with Chutes" app and no shared client for CLIs.
Answers are untrusted: wrong types or non-JSON become a clear ``GenesisError``."""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from genesis_cli import http
from genesis_cli.errors import AuthError, GenesisError, NetworkError
from genesis_cli.providers import Provider
from genesis_cli.text import sendable

_SUFFIX_ALPHABET = string.ascii_lowercase + string.digits
_MAX_FIELD = 512
# App and client ids go into URL paths and the store: letters, digits, '.', '_', '-' only.
_ID = re.compile(r"[A-Za-z0-9._-]{1,128}\Z")


class NameTaken(GenesisError):
    """409: app names are unique across all Chutes users."""


@dataclass(frozen=True)
class CreatedApp:
    app_id: str
    client_id: str
    client_secret: str = field(repr=False)
    name: str


def new_name() -> str:
    """``genesis-<6 random [a-z0-9]>``: names are unique across every Chutes user."""
    return "genesis-" + "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(6))


def _call(provider: Provider, method: str, path: str, api_key: str, **kw: Any) -> http.Response:
    url = f"{provider.api_base_url()}/idp/{path}"
    return http.request(method, url, headers={"Authorization": f"Bearer {api_key}"}, **kw)


def _refused(provider: Provider, response: http.Response, api_key: str, doing: str) -> GenesisError:
    detail = provider.error_text(response, (api_key,))
    if response.status in (401, 403):
        why = "does not know this API key" if response.status == 401 else "refused this API key"
        return AuthError(
            f"{provider.display_name} {why} while {doing} (HTTP {response.status}: {detail})",
            hint="managing apps needs a full (admin) API key: create one at "
            f"{provider.api_keys_url}",
        )
    return GenesisError(
        f"{provider.display_name} refused {doing} (HTTP {response.status}: {detail})",
        hint="check the values, or try again later",
    )


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if not isinstance(value, str) or not value.isprintable():
        return None
    return value.strip() if 0 < len(value.strip()) <= _MAX_FIELD else None


def _id(body: dict[str, Any], key: str) -> str | None:
    value = _text(body, key)
    return value if value is not None and _ID.match(value) else None


def checked_app_id(provider: Provider, app_id: str) -> str:
    """An app id read back from the (untrusted) store, before it goes in a URL."""
    if not _ID.match(app_id):
        raise GenesisError(
            f"the stored app id is not one {provider.display_name} issues",
            hint=f"fix [clients.{provider.id}] in the auth store, or run `genesis auth app create`",
        )
    return app_id


def create(provider: Provider, api_key: str, name: str, redirect_uri: str) -> CreatedApp:
    """``POST /idp/apps``. Raises ``NameTaken`` on 409, ``AuthError`` on 401/403."""
    payload = {
        "name": name,
        "description": "genesis CLI",
        "redirect_uris": [redirect_uri],
        "public": False,
        "allowed_scopes": list(provider.require_sign_in().scopes),
        "refresh_token_lifetime_days": 30,
    }
    response = _call(provider, "POST", "apps", api_key, json_body=payload)
    if response.status == 409:
        raise NameTaken(f"the app name {name!r} is taken")
    if response.status != 200:
        raise _refused(provider, response, api_key, "creating the app")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise GenesisError(
            f"{provider.display_name} answered the app creation without JSON; nothing was stored",
            hint="run `genesis auth app create` again later",
        )
    app_id, client_id = _id(body, "app_id"), _id(body, "client_id")
    secret = _text(body, "client_secret")
    if not (app_id and client_id and secret) or not sendable(secret):
        raise GenesisError(
            f"{provider.display_name}'s answer lacks the app id, client id or secret; "
            "nothing was stored",
            hint=f"look for the app with the {provider.display_name} API and delete it, "
            "then try again",
        )
    return CreatedApp(app_id, client_id, secret, _text(body, "name") or name)


def remote_state(provider: Provider, api_key: str | None, app_id: str) -> str:
    """Whether Chutes still has the app: ``present``, ``gone`` or ``unknown`` (best effort)."""
    if not api_key:
        return "unknown"
    try:
        response = _call(provider, "GET", f"apps/{checked_app_id(provider, app_id)}", api_key)
    except NetworkError:
        return "unknown"
    return {200: "present", 404: "gone"}.get(response.status, "unknown")


def delete(provider: Provider, api_key: str, app_id: str) -> bool:
    """``DELETE /idp/apps/{id}``: ``True`` when deleted, ``False`` when Chutes had no such app."""
    response = _call(provider, "DELETE", f"apps/{checked_app_id(provider, app_id)}", api_key)
    if response.status == 404:
        return False
    if response.status != 200:
        raise _refused(provider, response, api_key, "deleting the app")
    return True


def authorized_app_id(provider: Provider, api_key: str, client_id: str) -> str | None:
    """The app id of the user's authorization of ``client_id``; ``None`` when it is not
    listed or cannot be read."""
    try:
        response = _call(provider, "GET", "authorizations", api_key)
        body = response.json() if response.status == 200 else None
    except (NetworkError, ValueError):
        return None
    items = body.get("items") if isinstance(body, dict) else body
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and _text(item, "client_id") == client_id:
            return _id(item, "app_id")
    return None


def end_authorization(provider: Provider, api_key: str, app_id: str) -> bool:
    """Revoke every token of the user's authorization of the app, sessions forked by
    concurrent refreshes included. ``True`` when it is over."""
    path = f"authorizations/{checked_app_id(provider, app_id)}"
    try:
        response = _call(provider, "DELETE", path, api_key)
    except NetworkError:
        return False
    return response.status in (200, 204, 404)  # 404: no authorization left to end
