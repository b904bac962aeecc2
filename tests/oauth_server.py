"""A small authorization server on 127.0.0.1 that behaves like Chutes' IdP, for tests.

Confidential client with ``client_secret_post``, PKCE S256 required, exact redirect-URI
match, auto-consent or denial, and the token lifecycle of Chutes' server code: access tokens
for ``expires_in`` (3600 s), refresh tokens that rotate with the full 30 days each time (a
reused one gets ``invalid_grant`` and is counted, and the rest of the family lives on), no
lock on refresh (concurrent refreshes of one token fork the session), revocation of only the
token sent, and ``end_authorization`` (the management API's ``DELETE
/idp/authorizations/{app_id}``) revoking every token of a user's authorization of a client,
forks included. The end-to-end tests use a real OAuth server library; this one keeps the
unit and flow tests fast.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.servers import LocalServer, QuietHandler

CLIENT_ID = "cid_test_client"
CLIENT_SECRET = "csc_test_secret_value"
REFRESH_LIFETIME = 30 * 86400  # Chutes' default; every rotation gets the full lifetime again


class AuthServer(LocalServer):
    def __init__(self, redirect_uri: str) -> None:
        self.redirect_uri = redirect_uri
        self.mode = "approve"  # or "deny"
        self.expires_in: Any = 3600
        self.refresh_delay = 0.0  # before a refresh is looked at
        self.refresh_answer_delay = 0.0  # after it was granted, before the answer leaves
        self.username = "alice"
        self.token_status: int | None = None  # force an HTTP status on /token
        self.token_body: dict[str, Any] = {"detail": "forced"}  # ... with this body
        self.codes: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, dict[str, Any]] = {}
        self.access_tokens: dict[str, str] = {}  # live access token -> user
        self.access_clients: dict[str, str] = {}  # access token -> client id
        self.revoked: list[str] = []
        self.token_forms: list[dict[str, str]] = []
        self.refresh_requests = 0
        self.reused_refresh_tokens = 0
        self.on_issue: Any = None  # told every token issued (the tests' secret guard)
        self._lock = threading.Lock()
        super().__init__(self._handler())

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/idp"

    def issue(self, user: str, scope: str, client: str = CLIENT_ID) -> dict[str, Any]:
        access = "cak_" + secrets.token_hex(16)
        refresh = "crt_" + secrets.token_hex(16)
        self.access_tokens[access] = user
        self.access_clients[access] = client
        self.refresh_tokens[refresh] = {
            "user": user, "scope": scope, "used": False, "client": client,
            "expires": time.time() + REFRESH_LIFETIME,
        }  # fmt: skip
        if self.on_issue is not None:
            self.on_issue(access, refresh)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": refresh,
            "scope": scope,
        }

    def end_authorization(self, user: str, client: str) -> int:
        """Revoke every token of ``user``'s authorization of ``client``, forks included."""
        with self._lock:
            ended = 0
            for entry in self.refresh_tokens.values():
                if entry["user"] == user and entry["client"] == client and not entry["used"]:
                    entry["used"] = True
                    ended += 1
            for access, owner in list(self.access_tokens.items()):
                if owner == user and self.access_clients.get(access) == client:
                    del self.access_tokens[access]
                    ended += 1
            return ended

    def authorized_clients(self, user: str) -> set[str]:
        """The clients ``user`` has a live refresh token with."""
        with self._lock:
            live = [e for e in self.refresh_tokens.values() if e["user"] == user and not e["used"]]
            return {e["client"] for e in live}

    # -- request handling ------------------------------------------------------------------

    def authorize(self, query: dict[str, list[str]]) -> tuple[int, dict[str, str], bytes]:
        q = {k: v[0] for k, v in query.items()}
        if q.get("client_id") != CLIENT_ID or q.get("redirect_uri") != self.redirect_uri:
            return 400, {}, b"bad client or redirect_uri"
        if (
            q.get("response_type") != "code"
            or q.get("code_challenge_method") != "S256"
            or not q.get("code_challenge")
        ):
            return 400, {}, b"PKCE S256 required"
        state = q.get("state", "")
        if self.mode == "deny":
            params = {
                "error": "access_denied",
                "error_description": "The user said no",
                "state": state,
            }
        else:
            code = secrets.token_urlsafe(16)
            with self._lock:
                self.codes[code] = {
                    "challenge": q["code_challenge"],
                    "scope": q.get("scope", ""),
                    "redirect_uri": q["redirect_uri"],
                }
            params = {"code": code, "state": state}
        return 302, {"Location": f"{self.redirect_uri}?{urlencode(params)}"}, b""

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.token_forms.append(dict(form))
        if self.token_status is not None:
            return self.token_status, self.token_body
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return 400, {"error": "invalid_client"}
        grant = form.get("grant_type")
        if grant == "authorization_code":
            with self._lock:
                entry = self.codes.pop(form.get("code", ""), None)
            if entry is None or form.get("redirect_uri") != entry["redirect_uri"]:
                return 400, {"error": "invalid_grant"}
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != entry["challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "PKCE failed"}
            with self._lock:
                return 200, self.issue(self.username, entry["scope"])
        if grant == "refresh_token":
            # As Chutes: no lock from the check to the rotation, so concurrent refreshes of one
            # token can all pass the check and fork the session (each branch stays alive).
            with self._lock:
                self.refresh_requests += 1
                entry = self.refresh_tokens.get(form.get("refresh_token", ""))
                if entry is None or entry["used"] or entry["expires"] < time.time():
                    if entry is not None:
                        self.reused_refresh_tokens += 1
                    return 400, {"error": "invalid_grant"}
            time.sleep(self.refresh_delay)
            with self._lock:
                entry["used"] = True  # spent; the rest of the family lives on
                issued = self.issue(entry["user"], entry["scope"], entry["client"])
            time.sleep(self.refresh_answer_delay)
            return 200, issued
        return 400, {"error": "unsupported_grant_type"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/idp/authorize":
                    status, headers, body = owner.authorize(parse_qs(parts.query))
                    self.reply(status, body, headers, "text/plain")
                elif parts.path == "/idp/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    user = owner.access_tokens.get(token)
                    if user is None:
                        self.reply(401, b'{"detail":"Invalid token"}')
                    else:
                        self.reply(200, json.dumps({"sub": "uuid-1", "username": user}).encode())
                else:
                    self.reply(404, b'{"detail":"Not Found"}')

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                parts = urlsplit(self.path)
                if parts.path == "/idp/token":
                    status, body = owner.token(form)
                    self.reply(status, json.dumps(body).encode())
                elif parts.path == "/idp/token/revoke":
                    token = form.get("token", "")
                    with owner._lock:  # only the token sent: its forks live on
                        owner.revoked.append(token)
                        entry = owner.refresh_tokens.get(token)
                        if entry is not None:
                            entry["used"] = True
                        owner.access_tokens.pop(token, None)
                    self.reply(200, b"{}")  # always 200, as Chutes
                else:
                    self.reply(404, b'{"detail":"Not Found"}')

        return Handler
