"""A Chutes-like identity provider built on Authlib's OAuth 2.0 authorization server (Flask),
plus the models API beside it. Run as a subprocess by the end-to-end tests:

    python idp_app.py --client-id cid_... --client-secret csc_... --redirect-uri URI \\
        [--access-ttl 3600] [--refreshed-ttl SECONDS] [--api-key cpk_...]

It prints ``READY <port>`` once it listens on 127.0.0.1. Configured like Chutes' server code
(chutes-api-facts.md, "How the real IdP behaves"): routes under /idp, a confidential client
authenticated with client_secret_post, PKCE with S256 required, exact redirect-URI match,
access tokens for 3600 s, refresh tokens that rotate with the full 30 days each time (reuse
gets invalid_grant, and the rest of the family lives on), no lock on refresh (concurrent
refreshes fork the session), automatic consent (or denial, switched through /_control),
revocation of only the token sent (always 200), and, with an API key, ``GET
/idp/authorizations`` and ``DELETE /idp/authorizations/{app_id}`` (every token of the user's
authorization of the app, forks included). /v1/models answers the Chutes-shaped sample and
rejects an unknown bearer with 401.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on 127.0.0.1 only

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

DATA = Path(__file__).resolve().parent.parent / "data"
# What /v1/models answers, picked with POST /_control {"catalog": ...}: a small sample, or the
# unedited public copy of Chutes' live list of 2026-08-22.
CATALOGS = {
    "sample": DATA / "models_sample.json",
    # run as a script, so not through tests.LIVE_SNAPSHOT: the same file in ../shared/data
    "snapshot": Path(__file__).resolve().parents[3] / "shared/data/chutes-models-2026-08-22.json",
}
LOCK = threading.Lock()
STATE: dict[str, Any] = {
    "mode": "approve",
    "refresh_requests": 0,
    "refresh_reuse": 0,
    "revoked": [],
    "token_requests": 0,
}


class User:
    id = "5b0c8f3e-0000-4000-8000-000000000001"
    username = "alice"

    def get_user_id(self) -> str:
        return self.id


USER = User()


class Client(ClientMixin):
    def __init__(self, client_id: str, secret: str, redirect_uri: str) -> None:
        self.client_id, self.secret, self.redirect_uri = client_id, secret, redirect_uri

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_allowed_scope(self, scope: str) -> str:
        allowed = {"openid", "profile", "chutes:invoke"}
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.redirect_uri  # exact, as Chutes

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_post"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


class AuthCode:
    def __init__(
        self,
        code: str,
        client_id: str,
        redirect_uri: str,
        scope: str,
        challenge: str | None,
        method: str | None,
    ) -> None:
        self.code, self.client_id, self.redirect_uri, self.scope = (
            code,
            client_id,
            redirect_uri,
            scope,
        )
        self.code_challenge, self.code_challenge_method = challenge, method
        self.expires_at = time.time() + 600

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


REFRESH_LIFETIME = 30 * 86400
APP_ID = "8a1f0c2e-0000-4000-8000-00000000e2e0"  # the app of the one client, at Chutes


class Token(TokenMixin):
    """One grant's answer. The access and the refresh token die apart: revoking one (or
    rotating the refresh token) leaves the other alive, as at Chutes."""

    def __init__(self, data: dict[str, Any], client_id: str) -> None:
        self.access_token = data["access_token"]
        self.refresh_token = data.get("refresh_token")
        self.scope = data.get("scope", "")
        self.expires_in = int(data["expires_in"])
        self.issued_at = time.time()
        self.client_id = client_id
        self.revoked = False  # the access token
        self.refresh_revoked = False

    def check_client(self, client: Client) -> bool:
        return client.get_client_id() == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return time.time() > self.issued_at + self.expires_in

    def is_revoked(self) -> bool:
        return self.revoked


CODES: dict[str, AuthCode] = {}
TOKENS: list[Token] = []


class S256Required(CodeChallenge):
    """PKCE for every client, confidential ones included, and only S256 (as Chutes)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE with code_challenge_method=S256 is required")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_post"]

    def save_authorization_code(self, code: str, req: Any) -> None:
        data = req.payload.data
        CODES[code] = AuthCode(
            code,
            req.client.get_client_id(),
            req.payload.redirect_uri,
            req.scope or "",
            data.get("code_challenge"),
            data.get("code_challenge_method"),
        )

    def query_authorization_code(self, code: str, client: Client) -> AuthCode | None:
        found = CODES.get(code)
        if found and found.client_id == client.get_client_id() and found.expires_at > time.time():
            return found
        return None

    def delete_authorization_code(self, authorization_code: AuthCode) -> None:
        CODES.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: AuthCode) -> User:
        return USER


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_post"]
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh issues a new refresh token

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        # No lock from this check to the rotation (as at Chutes): concurrent refreshes of one
        # token can all pass it, and each gets its own new refresh token.
        with LOCK:
            STATE["refresh_requests"] += 1
            for token in TOKENS:
                if token.refresh_token == refresh_token:
                    dead = token.issued_at + REFRESH_LIFETIME < time.time()
                    if token.refresh_revoked or dead:
                        STATE["refresh_reuse"] += 1
                        return None
                    return token
        return None

    def authenticate_user(self, refresh_token: Token) -> User:
        return USER

    def revoke_old_credential(self, refresh_token: Token) -> None:
        refresh_token.refresh_revoked = True  # spent; its access token and the family live on


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_post"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        for token in TOKENS:
            if token_string in (token.access_token, token.refresh_token):
                return token
        return None

    def revoke_token(self, token: Token, req: Any) -> None:
        sent = req.form.get("token", "")
        if sent == token.refresh_token:  # only the token sent
            token.refresh_revoked = True
        else:
            token.revoked = True
        STATE["revoked"].append(sent)


class Validator(BearerTokenValidator):
    def authenticate_token(self, token_string: str) -> Token | None:
        return next((t for t in TOKENS if t.access_token == token_string), None)


def build(client: Client, access_ttl: int, api_keys: set[str], refreshed_ttl: int = 0) -> Flask:
    """``access_ttl``: the lifetime of a signed-in access token; ``refreshed_ttl`` that of a
    refreshed one (the same when 0)."""
    app = Flask(__name__)
    app.config.update(
        OAUTH2_TOKEN_EXPIRES_IN={
            "authorization_code": access_ttl,
            "refresh_token": refreshed_ttl or access_ttl,
        },
        OAUTH2_ACCESS_TOKEN_GENERATOR=lambda *a, **k: "cak_" + secrets.token_urlsafe(30),
        OAUTH2_REFRESH_TOKEN_GENERATOR=lambda *a, **k: secrets.token_urlsafe(40),
    )

    def save_token(data: dict[str, Any], req: Any) -> None:
        with LOCK:
            STATE["token_requests"] += 1
            TOKENS.append(Token(data, req.client.get_client_id()))

    server = AuthorizationServer(
        app,
        query_client=lambda cid: client if cid == client.client_id else None,
        save_token=save_token,
    )
    server.register_grant(AuthorizationCodeGrant, [S256Required(required=True)])
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(Revocation)
    protect = ResourceProtector()
    protect.register_token_validator(Validator())

    @app.get("/idp/authorize")
    def authorize() -> Any:
        user = None if STATE["mode"] == "deny" else USER
        try:
            grant = server.get_consent_grant(end_user=user)
        except Exception as error:  # an invalid request: Authlib's own error response
            return server.handle_error_response(None, error)
        return server.create_authorization_response(grant_user=user, grant=grant)

    @app.post("/idp/token")
    def token() -> Any:
        return server.create_token_response()

    @app.post("/idp/token/revoke")
    def revoke() -> Any:
        server.create_endpoint_response(Revocation.ENDPOINT_NAME)
        return jsonify({})  # Chutes answers 200 whatever happened

    @app.get("/idp/userinfo")
    @protect()
    def userinfo() -> Any:
        return jsonify({"sub": USER.id, "username": USER.username, "created_at": "2026-01-01"})

    @app.get("/v1/models")
    def models() -> Any:
        auth = request.headers.get("Authorization", "")
        if auth:
            bearer = auth.removeprefix("Bearer ")
            known = bearer in api_keys or any(
                t.access_token == bearer and not t.revoked for t in TOKENS
            )
            if not known:
                return jsonify({"detail": "Invalid token or user not found"}), 401
        body = CATALOGS[STATE.get("catalog", "sample")].read_bytes()
        return app.response_class(body, mimetype="application/json")

    def api_key_ok() -> bool:
        return request.headers.get("Authorization", "").removeprefix("Bearer ") in api_keys

    def live_tokens() -> list[Token]:
        return [t for t in TOKENS if t.client_id == client.client_id and not t.refresh_revoked]

    @app.get("/idp/authorizations")
    def authorizations() -> Any:
        if not api_key_ok():
            return jsonify({"detail": "Invalid token or user not found"}), 401
        live = [{"app_id": APP_ID, "client_id": client.client_id}] if live_tokens() else []
        return jsonify(live)

    @app.delete("/idp/authorizations/<app_id>")
    def end_authorization(app_id: str) -> Any:
        if not api_key_ok():
            return jsonify({"detail": "Invalid token or user not found"}), 401
        if app_id != APP_ID:
            return jsonify({"detail": "Authorization not found"}), 404
        with LOCK:
            for token in TOKENS:
                if token.client_id == client.client_id:
                    token.revoked = token.refresh_revoked = True
            STATE["ended_authorizations"] = STATE.get("ended_authorizations", 0) + 1
        return jsonify({"revoked": True})

    @app.post("/_control")
    def control() -> Any:
        STATE.update(request.get_json(force=True))
        return jsonify({"mode": STATE["mode"]})

    @app.get("/_stats")
    def stats() -> Any:
        return jsonify(STATE)

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--redirect-uri", required=True)
    parser.add_argument("--access-ttl", type=int, default=3600)
    parser.add_argument("--refreshed-ttl", type=int, default=0)
    parser.add_argument("--api-key", action="append", default=[])
    args = parser.parse_args()
    app = build(
        Client(args.client_id, args.client_secret, args.redirect_uri),
        args.access_ttl,
        set(args.api_key),
        args.refreshed_ttl,
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"READY {server.port}", flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
