"""OAuth sign-in, the protocol part: PKCE, the authorize URL, token requests, userinfo.

Silent and stateless: no disk, no printing; every request goes through ``http.request``.
Why not requests-oauthlib: CONTRIBUTING.md, "Design reasons".
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from genesis_cli import http, urls
from genesis_cli.coerce import finite_number
from genesis_cli.errors import AuthError, NetworkError, UsageError
from genesis_cli.providers import Provider
from genesis_cli.text import one_line, sendable

DEFAULT_EXPIRES_IN = 3600
MAX_EXPIRES_IN = 366 * 86400
_LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
# A scope as OAuth defines it: printable ASCII but space, '"' and '\\'.
_SCOPE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+\Z")


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

    def endpoint(self, name: str) -> str:
        return f"{self.base_url}/{name}"


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
    example = provider.require_sign_in().default_redirect_uri
    if urls.ambiguous_url(uri):
        raise UsageError(
            f"{provider.redirect_uri_env} holds a backslash, '@', a space or a control character",
            hint=f"use e.g. {example}",
        )
    try:
        parts = urlsplit(uri)
    except ValueError:  # e.g. an unclosed '[' of an IPv6 address
        raise UsageError(
            f"{provider.redirect_uri_env}={uri!r} is not a URL genesis can read",
            hint=f"use e.g. {example}",
        ) from None
    if parts.scheme != "http" or parts.hostname not in _LOOPBACK_HOSTS:
        raise UsageError(
            f"{provider.redirect_uri_env}={uri!r} is not an http URL on 127.0.0.1, ::1 or "
            "localhost",
            hint=f"genesis listens for the sign-in callback on this machine only; "
            f"use e.g. {example} (and register it with your app)",
        )
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise UsageError(f"{provider.redirect_uri_env}={uri!r} has an invalid port") from None
    if parts.query or parts.fragment:
        raise UsageError(f"{provider.redirect_uri_env}={uri!r} must not carry a query or fragment")
    return uri


def client_from_env(
    provider: Provider, client_id: str, client_secret: str | None, redirect_uri: str | None = None
) -> Client:
    """The client to sign in with; the redirect URI is ``<PREFIX>_OAUTH_REDIRECT_URI``, else
    ``redirect_uri`` (the stored app's), else the default."""
    facts = provider.require_sign_in()
    redirect = (
        os.environ.get(provider.redirect_uri_env, "").strip()
        or redirect_uri
        or facts.default_redirect_uri
    )
    scopes = tuple(os.environ.get(provider.scopes_env, "").split()) or facts.scopes
    if not all(_SCOPE.match(scope) for scope in scopes):
        raise UsageError(
            f"{provider.scopes_env} holds a character a scope cannot have (control, quote, "
            "backslash or non-ASCII)",
            hint=f"set {provider.scopes_env} to space-separated scopes like "
            f"{' '.join(facts.scopes[:2])!r}, or unset it",
        )
    for name, value in (
        (provider.client_id_env, client_id),
        (provider.client_secret_env, client_secret),
    ):
        if value and not sendable(value):
            raise UsageError(
                f"the OAuth client {'id' if name == provider.client_id_env else 'secret'} holds "
                "whitespace, control characters or non-ASCII characters",
                hint=f"set {name} to the value {provider.display_name} showed, or unset it",
            )
    return Client(
        client_id=client_id,
        client_secret=client_secret or None,
        redirect_uri=check_redirect_uri(provider, redirect),
        scopes=scopes,
        base_url=provider.oauth_base_url(),
        provider=provider,
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def start(client: Client) -> AuthRequest:
    """A fresh authorization request: random state (256 bits) and PKCE S256 (64 random bytes
    make an 86-character verifier)."""
    state = secrets.token_urlsafe(32)
    verifier = _b64url(secrets.token_bytes(64))
    challenge = _b64url(hashlib.sha256(verifier.encode("ascii")).digest())
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": client.redirect_uri,
            "scope": " ".join(client.scopes),
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return AuthRequest(
        url=f"{client.endpoint('authorize')}?{query}", state=state, verifier=verifier
    )


def _expires_in(value: Any) -> int:
    number = finite_number(value)
    if number is None:
        return DEFAULT_EXPIRES_IN
    return int(min(max(number, 0), MAX_EXPIRES_IN))


# OAuth errors that mean "not now", whatever the HTTP status.
_TRANSIENT_ERRORS = ("temporarily_unavailable", "server_error", "slow_down")


def _with_client(client: Client, form: dict[str, str]) -> dict[str, str]:
    secret = {"client_secret": client.client_secret} if client.client_secret else {}
    return {**form, "client_id": client.client_id, **secret}


def _token_request(client: Client, form: dict[str, str], requested: tuple[str, ...]) -> Tokens:
    form = _with_client(client, form)
    sent_at = time.time()
    response = http.request("POST", client.endpoint("token"), data=form)
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status != 200 or not isinstance(body, dict):
        oauth_error = body.get("error") if isinstance(body, dict) else None
        if response.status >= 500 or response.status == 429 or oauth_error in _TRANSIENT_ERRORS:
            # The server could not answer now: never taken for a dead refresh token.
            said = f" ({oauth_error[:40]})" if isinstance(oauth_error, str) else ""
            raise NetworkError(
                f"the token endpoint answered HTTP {response.status}{one_line(said)}"
            )
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            description = body.get("error_description")
            # Server text is shown to the user: cut it short and strip anything secret.
            sent = tuple(form.values())
            provider = client.provider
            error = provider.redact(body["error"], sent, 100)
            text = provider.redact(description, sent, 200) if isinstance(description, str) else None
            if error == "invalid_client":
                raise OAuthError(
                    provider,
                    error,
                    text,
                    hint="create a new app with `genesis auth app create`, or set "
                    f"{provider.client_id_env} and {provider.client_secret_env} to an app's id "
                    "and secret",
                    message=f"{provider.display_name} does not accept the OAuth client "
                    f"{client.client_id} with this secret (invalid_client)",
                )
            raise OAuthError(provider, error, text)
        raise AuthError(
            f"the token endpoint answered HTTP {response.status} without an OAuth error"
        )
    access = body.get("access_token")
    if not isinstance(access, str) or not access.strip():
        raise AuthError("the token endpoint answered without an access token")
    token_type = body.get("token_type", "Bearer")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise AuthError("the token endpoint issued a token that is not a bearer token")
    refresh = body.get("refresh_token")
    for token in (access, refresh):
        if isinstance(token, str) and token.strip() and not sendable(token.strip()):
            raise AuthError(
                "the token endpoint issued a token genesis cannot send (not plain ASCII); "
                "nothing was stored",
                hint=f"report it to {client.provider.display_name}; try signing in again",
            )
    scope = body.get("scope")
    granted = tuple(scope.split()) if isinstance(scope, str) else ()
    if not all(sendable(s) for s in granted):
        granted = ()  # not plain ASCII (a lone surrogate, a control character): not kept
    return Tokens(
        access=access.strip(),
        refresh=refresh.strip() if isinstance(refresh, str) and refresh.strip() else None,
        # Counted from when the request was sent: never later than the server's own clock.
        expires_at=int(sent_at) + _expires_in(body.get("expires_in")),
        scopes=granted or requested,
    )


def exchange_code(client: Client, code: str, verifier: str) -> Tokens:
    return _token_request(
        client,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": client.redirect_uri,
            "code_verifier": verifier,
        },
        client.scopes,
    )


def refresh(client: Client, refresh_token: str) -> Tokens:
    """Spend ``refresh_token`` (Chutes rotates them). Sent once: never retried here."""
    tokens = _token_request(
        client, {"grant_type": "refresh_token", "refresh_token": refresh_token}, client.scopes
    )
    if tokens.refresh is None:
        # A server that does not rotate keeps the old refresh token valid.
        tokens = Tokens(tokens.access, refresh_token, tokens.expires_at, tokens.scopes)
    return tokens


def userinfo(base_url: str, access: str) -> dict[str, Any] | None:
    """Best effort: ``None`` on any failure."""
    try:
        response = http.request(
            "GET",
            f"{base_url}/userinfo",
            headers={"Authorization": f"Bearer {access}"},
            timeout=None,
        )
        body = response.json() if response.status == 200 else None
    except (NetworkError, ValueError):
        return None
    return body if isinstance(body, dict) else None


def revoke(client: Client, token: str) -> bool:
    """Best effort revocation; ``True`` when the server accepted it."""
    form = _with_client(client, {"token": token})
    try:
        response = http.request("POST", client.endpoint("token/revoke"), data=form)
    except NetworkError:
        return False
    return response.status == 200
