"""The redirect back from the authorization server: a callback's or a pasted URL's query,
checked against this sign-in's state before anything else is read from it."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

from genesis_cli.errors import AuthError
from genesis_cli.oauth.protocol import OAuthError, SignInDenied
from genesis_cli.providers import Provider
from genesis_cli.text import one_line


class BadRedirect(AuthError):
    """A callback or pasted URL that cannot complete this sign-in (the user may try again)."""

    def __init__(self, message: str, hint: str | None = None, wrong_state: bool = False) -> None:
        super().__init__(message, hint)
        self.wrong_state = wrong_state


def _single(params: dict[str, list[str]], name: str) -> str:
    values = params.get(name) or [""]
    if len(values) > 1:
        raise BadRedirect(f"the redirect carries '{name}' more than once")
    return values[0]


def code_from_params(provider: Provider, params: dict[str, list[str]], expected_state: str) -> str:
    """The authorization code, after checking ``state``; raises ``SignInDenied`` for ``error=``.
    ``state`` comes first, for every kind of redirect: any web page can send the browser to
    the loopback URL, and an ``error=`` without this sign-in's state must not end it."""
    state = _single(params, "state")
    if not state:
        raise BadRedirect("the redirect has no 'state' parameter", wrong_state=True)
    if not secrets.compare_digest(state.encode(), expected_state.encode()):
        raise BadRedirect(
            "the redirect's state does not match this sign-in (an old or someone else's link)",
            hint="paste the URL from the sign-in genesis just started",
            wrong_state=True,
        )
    error = one_line(_single(params, "error"))[:100]  # server text, made plain to be shown
    if error:
        description = one_line(_single(params, "error_description"))[:300] or None
        if error != "invalid_scope":
            raise SignInDenied(provider, error, description)
        raise OAuthError(
            provider,
            error,
            description,
            hint=f"set {provider.scopes_env} to scopes your app may ask for (default: "
            f"{' '.join(provider.require_sign_in().scopes)}), or recreate the app with "
            "`genesis auth app create`",
            message=f"{provider.display_name} refused the requested scopes (invalid_scope)",
        )
    code = _single(params, "code")
    if not code:
        raise BadRedirect("the redirect has no 'code' parameter")
    return code


def parse_pasted(provider: Provider, text: str, expected_state: str) -> str:
    """The code from a pasted redirect URL or its query string. A bare code is refused:
    without the ``state`` that comes with it, a link from someone else could sign this
    terminal into their account (login CSRF)."""
    pasted = text.strip().strip("'\"").strip()
    if not pasted:
        raise BadRedirect("nothing was pasted")
    if len(pasted) > 8192:
        raise BadRedirect("the pasted text is too long to be a redirect URL")
    query = pasted.split("?", 1)[-1]
    if "://" in pasted:
        try:
            parts = urlsplit(pasted)
        except ValueError:  # e.g. an unclosed '[' of an IPv6 address
            raise BadRedirect(
                "the pasted text is not a URL genesis can read",
                hint="paste the whole URL from the browser's address bar",
            ) from None
        query = parts.query or parts.fragment
    if "=" not in query:
        raise BadRedirect(
            "that looks like a bare code; paste the whole URL from the browser's address bar",
            hint="genesis needs the state that comes with the code to check that the sign-in "
            "is the one it started (protection against login CSRF)",
        )
    params = parse_qs(query)
    if not params:
        raise BadRedirect("the pasted text has no query parameters")
    return code_from_params(provider, params, expected_state)
