"""OAuth sign-in, the protocol part: PKCE, the authorize URL, token requests, userinfo.
Silent and stateless (no disk, no printing); every request goes through ``http.request``.
Why not requests-oauthlib: CONTRIBUTING.md, "Design reasons"."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from genesis_cli import http, urls
from genesis_cli.coerce import finite_number
from genesis_cli.errors import AuthError, NetworkError, UsageError
from genesis_cli.providers import Provider
from genesis_cli.text import one_line, sendable

DEFAULT_EXPIRES_IN = 3600
MAX_EXPIRES_IN = 366 * 86400
# A scope as OAuth defines it: printable ASCII but space, '"' and '\\'.
_SCOPE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+\Z")
# OAuth errors that mean "not now", whatever the HTTP status.
_TRANSIENT_ERRORS = ("temporarily_unavailable", "server_error", "slow_down")


class OAuthError(AuthError):
    """The authorization server refused (``error`` is its code, e.g. ``invalid_grant``)."""

    def __init__(
        self,
        provider: Provider,
        error: str,
        description: str | None,
        hint: str | None = None,
        message: str | None = None,
    ) -> None:
        text = f"{error}: {description}" if description else error
        super().__init__(message or f"{provider.display_name} sign-in failed ({text})", hint)
        self.error = error
        self.description = description


class SignInDenied(OAuthError):
    """The user (or the server) said no at the consent screen."""

    def __init__(self, provider: Provider, error: str, description: str | None) -> None:
        reason = f": {description}" if description else ""
        super().__init__(
            provider,
            error,
            description,
            hint=f"run `genesis onboard --auth-choice {provider.id}` again and approve the request",
            message=f"sign-in was denied ({error}){reason}",
        )


@dataclass(frozen=True)
class Client:
    provider: Provider
    client_id: str
    client_secret: str | None
    redirect_uri: str
    scopes: tuple[str, ...]
    base_url: str

    def __repr__(self) -> str:
        return f"Client(client_id={self.client_id!r}, redirect_uri={self.redirect_uri!r})"

    def form(self, **fields: str) -> dict[str, str]:
        """A token endpoint's form: ``fields`` and this client's credentials."""
        secret = {"client_secret": self.client_secret} if self.client_secret else {}
        return {**fields, "client_id": self.client_id, **secret}


@dataclass(frozen=True)
class AuthRequest:
    url: str
    state: str
    verifier: str


@dataclass(frozen=True)
class Tokens:
    access: str
    refresh: str | None
    expires_at: int
    scopes: tuple[str, ...]

    def __repr__(self) -> str:
        return f"Tokens(expires_at={self.expires_at})"


def check_redirect_uri(provider: Provider, uri: str) -> str:
    """Only plain http on a loopback host: the callback never leaves this machine."""
    name, example = provider.redirect_uri_env, provider.require_sign_in().default_redirect_uri
    if urls.ambiguous_url(uri):
        raise UsageError(
            f"{name} holds a backslash, '@', a space or a control character",
            hint=f"use e.g. {example}",
        )
    try:
        parts = urlsplit(uri)
    except ValueError:  # e.g. an unclosed '[' of an IPv6 address
        raise UsageError(
            f"{name}={uri!r} is not a URL genesis can read", hint=f"use e.g. {example}"
        ) from None
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "::1", "localhost"):
        raise UsageError(
            f"{name}={uri!r} is not an http URL on 127.0.0.1, ::1 or localhost",
            hint="genesis listens for the sign-in callback on this machine only; "
            f"use e.g. {example} (and register it with your app)",
        )
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise UsageError(f"{name}={uri!r} has an invalid port") from None
    if parts.query or parts.fragment:
        raise UsageError(f"{name}={uri!r} must not carry a query or fragment")
    return uri


def client_from_env(
    provider: Provider, client_id: str, client_secret: str | None, redirect_uri: str | None = None
) -> Client:
    """The client to sign in with; the redirect URI is ``<PREFIX>_OAUTH_REDIRECT_URI``, else
    ``redirect_uri`` (the stored app's), else the default."""
    facts = provider.require_sign_in()
    redirect = os.environ.get(provider.redirect_uri_env, "").strip() or redirect_uri
    scopes = tuple(os.environ.get(provider.scopes_env, "").split()) or facts.scopes
    if not all(_SCOPE.match(scope) for scope in scopes):
        raise UsageError(
            f"{provider.scopes_env} holds a character a scope cannot have (control, quote, "
            "backslash or non-ASCII)",
            hint=f"set {provider.scopes_env} to space-separated scopes like "
            f"{' '.join(facts.scopes[:2])!r}, or unset it",
        )
    for what, name, value in (
        ("id", provider.client_id_env, client_id),
        ("secret", provider.client_secret_env, client_secret),
    ):
        if value and not sendable(value):
            raise UsageError(
                f"the OAuth client {what} holds whitespace, control characters or non-ASCII "
                "characters",
                hint=f"set {name} to the value {provider.display_name} showed, or unset it",
            )
    return Client(
        provider,
        client_id,
        client_secret or None,
        check_redirect_uri(provider, redirect or facts.default_redirect_uri),
        scopes,
        provider.oauth_base_url(),
    )


def start(client: Client) -> AuthRequest:
    """A fresh authorization request: random state (256 bits), PKCE S256 (86-character verifier)."""
    state, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "scope": " ".join(client.scopes),
        "state": state,
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    return AuthRequest(f"{client.base_url}/authorize?{urlencode(query)}", state, verifier)


def _refusal(client: Client, status: int, body: Any, sent: tuple[str, ...]) -> Exception:
    """The error for a token endpoint's answer other than 200 with a JSON object."""
    said = body.get("error") if isinstance(body, dict) else None
    if status >= 500 or status == 429 or said in _TRANSIENT_ERRORS:
        # The server could not answer now: never taken for a dead refresh token.
        code = f" ({said[:40]})" if isinstance(said, str) else ""
        return NetworkError(f"the token endpoint answered HTTP {status}{one_line(code)}")
    if not isinstance(said, str):
        return AuthError(f"the token endpoint answered HTTP {status} without an OAuth error")
    # Server text is shown to the user: cut short, anything secret stripped.
    provider, description = client.provider, body.get("error_description")
    error = provider.redact(said, sent, 100)
    text = provider.redact(description, sent, 200) if isinstance(description, str) else None
    if error != "invalid_client":
        return OAuthError(provider, error, text)
    return OAuthError(
        provider,
        error,
        text,
        hint="create a new app with `genesis auth app create`, or set "
        f"{provider.client_id_env} and {provider.client_secret_env} to an app's id and secret",
        message=f"{provider.display_name} does not accept the OAuth client {client.client_id} "
        "with this secret (invalid_client)",
    )


def _token_request(client: Client, form: dict[str, str]) -> Tokens:
    sent_at = time.time()
    response = http.request("POST", f"{client.base_url}/token", data=form)
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status != 200 or not isinstance(body, dict):
        raise _refusal(client, response.status, body, tuple(form.values()))
    access, refresh = body.get("access_token"), body.get("refresh_token")
    if not isinstance(access, str) or not access.strip():
        raise AuthError("the token endpoint answered without an access token")
    token_type = body.get("token_type", "Bearer")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise AuthError("the token endpoint issued a token that is not a bearer token")
    refresh = refresh.strip() if isinstance(refresh, str) and refresh.strip() else None
    if not sendable(access.strip()) or (refresh and not sendable(refresh)):
        raise AuthError(
            "the token endpoint issued a token genesis cannot send (not plain ASCII); "
            "nothing was stored",
            hint=f"report it to {client.provider.display_name}; try signing in again",
        )
    scope = body.get("scope")
    granted = tuple(scope.split()) if isinstance(scope, str) else ()
    if not all(sendable(s) for s in granted):
        granted = ()  # not plain ASCII (a lone surrogate, a control character): not kept
    expires_in = finite_number(body.get("expires_in"))
    if expires_in is None:
        expires_in = DEFAULT_EXPIRES_IN
    return Tokens(
        access.strip(),
        refresh,
        # Counted from when the request was sent: never later than the server's own clock.
        int(sent_at) + int(min(max(expires_in, 0), MAX_EXPIRES_IN)),
        granted or client.scopes,
    )


def exchange_code(client: Client, code: str, verifier: str) -> Tokens:
    form = client.form(
        grant_type="authorization_code",
        code=code,
        redirect_uri=client.redirect_uri,
        code_verifier=verifier,
    )
    return _token_request(client, form)


def refresh(client: Client, refresh_token: str) -> Tokens:
    """Spend ``refresh_token`` (Chutes rotates them). Sent once: never retried here."""
    form = client.form(grant_type="refresh_token", refresh_token=refresh_token)
    tokens = _token_request(client, form)
    # A server that does not rotate keeps the old refresh token valid.
    return tokens if tokens.refresh else replace(tokens, refresh=refresh_token)


def userinfo(base_url: str, access: str) -> dict[str, Any] | None:
    """Best effort: ``None`` on any failure."""
    try:
        headers = {"Authorization": f"Bearer {access}"}
        response = http.request("GET", f"{base_url}/userinfo", headers=headers)
        body = response.json() if response.status == 200 else None
    except (NetworkError, ValueError):
        return None
    return body if isinstance(body, dict) else None


def revoke(client: Client, token: str) -> bool:
    """Best effort revocation; ``True`` when the server accepted it."""
    try:
        response = http.request(
            "POST", f"{client.base_url}/token/revoke", data=client.form(token=token)
        )
    except NetworkError:
        return False
    return response.status == 200
