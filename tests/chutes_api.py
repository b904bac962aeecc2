"""A local Chutes management API (``https://api.chutes.ai`` in production) for tests.

A real threaded HTTP server on 127.0.0.1 answering with the shapes of Chutes' server code
(chutes-api-facts.md): ``/idp/apps`` (create with 409/401/403/422, get, delete),
``/idp/authorizations`` (list; ``DELETE /idp/authorizations/{app_id}`` ends every token of
the user's authorization of that app at the linked test IdP, ``idp``) and the account
endpoints ``/users/me``, ``/users/me/subscription_usage``, ``/users/me/quotas`` and
``/users/me/quota_usage/{chute_id}``; the TEE evidence endpoints ``/e2e/instances/{chute_id}``,
``/chutes/{chute_id}/evidence?nonce=`` and ``/servers/tee/measurements`` (chutes-tee-facts.md);
and, as a PCCS would, Intel's collateral routes under ``/{sgx,tdx}/certification/v4/``.
Switchable faults; every call is recorded.
"""

from __future__ import annotations

import json
import re
import secrets
import string
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.servers import LocalServer, QuietHandler

_NAME = re.compile(r"[\w\s\-.]{3,64}\Z")


def _alnum(n: int) -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(n))


class ChutesAPI(LocalServer):
    """``keys``: admin API keys; ``limited_keys``: keys that get 403 for app management;
    ``bearers``: other tokens (OAuth access tokens) accepted by the account endpoints.

    ``create_mode``: ok, 422, nonjson, wrongtypes, 500. ``next_client``: the (id, secret)
    the next created app gets (the e2e tests hand out the real test IdP's client).
    ``taken``: names (lower case) some other user holds. ``hang``: path prefixes that do not
    answer for ``hang_seconds``. Account values: ``balance``, ``subscription``, ``quotas``;
    ``account_status``: when set, every ``/users/me`` path answers that HTTP status.
    """

    def __init__(self, keys: set[str]) -> None:
        self.keys = set(keys)
        self.limited_keys: set[str] = set()
        self.bearers: set[str] = set()
        self.create_mode = "ok"
        self.next_client: tuple[str, str] | None = None
        self.taken: set[str] = set()
        self.apps: dict[str, dict[str, Any]] = {}
        self.hang: set[str] = set()
        self.hang_seconds = 5.0
        self.account_status: int | None = None
        self.balance: Any = 4.25
        self.subscription: dict[str, Any] = {"subscription": False}
        self.quotas: Any = [
            {"chute_id": "*", "quota": 300, "is_default": True, "payment_refresh_date": None,
             "effective_date": "2026-11-01T00:00:00Z", "updated_at": "2026-11-01T00:00:00Z"}
        ]  # fmt: skip
        self.quota_used: dict[str, float] = {"*": 12.0}
        # TEE: the one chute with evidence, its instances' rows (``instance_id``,
        # ``e2e_pubkey``), the evidence answer (a function of the nonce asked for, or raw
        # bytes), the measurement list, and the PCCS answers by route name (pckcrl, tcb,
        # identity, rootcacrl) as (headers, body).
        self.tee_chute = ""
        self.tee_instances: Any = []
        self.tee_evidence: Any = lambda nonce: {"evidence": [], "failed_instance_ids": []}
        self.tee_measurements: Any = []
        self.pccs: dict[str, tuple[dict[str, str], bytes]] = {}
        self.calls: list[dict[str, Any]] = []
        self.idp: Any = None  # the test IdP (an AuthServer) whose tokens the apps' clients hold
        self.user = "alice"  # whose API keys ``keys`` are
        self._lock = threading.Lock()
        super().__init__(self._handler())

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def paths(self) -> list[str]:
        with self._lock:
            return [f"{c['method']} {c['path']}" for c in self.calls]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(QuietHandler):
            def reply_json(self, status: int, payload: Any, raw: bytes | None = None) -> None:
                self.reply(status, raw if raw is not None else json.dumps(payload).encode())

            def bearer(self) -> str:
                return self.headers.get("Authorization", "").removeprefix("Bearer ")

            def handle_any(self, method: str) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                with outer._lock:
                    outer.calls.append(
                        {"method": method, "path": self.path, "body": body,
                         "authorization": self.headers.get("Authorization", "")}
                    )  # fmt: skip
                path = self.path.split("?", 1)[0]
                if any(path.startswith(prefix) for prefix in outer.hang):
                    time.sleep(outer.hang_seconds)  # bounded: then it answers
                token = self.bearer()
                if path.startswith("/idp/apps"):
                    if token in outer.limited_keys:
                        self.reply_json(403, {"detail": "Insufficient permissions for this action"})
                    elif token not in outer.keys:
                        self.reply_json(401, {"detail": "Invalid token or user not found"})
                    else:
                        self.apps_route(method, path, body)
                    return
                if path.startswith("/idp/authorizations"):
                    if token not in outer.keys:
                        self.reply_json(401, {"detail": "Invalid token or user not found"})
                    else:
                        self.authorizations_route(method, path)
                    return
                if path.startswith("/users/me"):
                    if token in outer.limited_keys:
                        self.reply_json(403, {"detail": "Token does not have permission"})
                    elif token not in outer.keys | outer.bearers:
                        self.reply_json(401, {"detail": "Invalid token or user not found"})
                    else:
                        self.account_route(path)
                    return
                if path.startswith("/e2e/instances/"):
                    if token not in outer.keys | outer.bearers:
                        self.reply_json(401, {"detail": "Invalid token or user not found"})
                    elif unquote(path.removeprefix("/e2e/instances/")) != outer.tee_chute:
                        self.reply_json(404, {"detail": "Chute not found"})
                    else:
                        self.reply_json(200, {"instances": outer.tee_instances,
                                              "nonce_expires_in": 60})  # fmt: skip
                    return
                if path.startswith("/chutes/") and path.endswith("/evidence"):
                    self.evidence_route(path)
                    return
                if path == "/servers/tee/measurements":
                    self.reply_json(200, outer.tee_measurements)
                    return
                if "/certification/v4/" in path:
                    route = {"pckcrl": "pckcrl", "tcb": "tcb", "identity": "identity",
                             "rootcacrl": "rootcacrl"}.get(path.rsplit("/", 1)[-1])  # fmt: skip
                    if route is None or route not in outer.pccs:
                        self.reply_json(404, {"detail": "Not Found"})
                    else:
                        headers, body = outer.pccs[route]
                        self.reply(200, body, headers, "application/octet-stream")
                    return
                self.reply_json(404, {"detail": "Not Found"})

            def evidence_route(self, path: str) -> None:
                chute = unquote(path.removeprefix("/chutes/").removesuffix("/evidence"))
                query = parse_qs(urlsplit(self.path).query)
                nonce = (query.get("nonce") or [""])[0]
                if chute != outer.tee_chute:
                    self.reply_json(404, {"detail": "Chute not found"})
                elif not re.fullmatch(r"[0-9a-f]{64}", nonce):
                    self.invalid("nonce", "nonce must be 64 hex characters")
                else:
                    answer = outer.tee_evidence(nonce)
                    if isinstance(answer, bytes):
                        self.reply_json(200, None, raw=answer)
                    else:
                        self.reply_json(200, answer)

            def apps_route(self, method: str, path: str, body: Any) -> None:
                if method == "POST" and path == "/idp/apps":
                    self.create(body)
                    return
                app_id = path.removeprefix("/idp/apps/")
                app = outer.apps.get(app_id)
                if app is None:
                    self.reply_json(404, {"detail": "Application not found"})
                elif method == "GET":
                    self.reply_json(200, {k: v for k, v in app.items() if k != "client_secret"})
                elif method == "DELETE":
                    del outer.apps[app_id]
                    self.reply_json(200, {"app_id": app_id, "deleted": True})
                else:
                    self.reply_json(405, {"detail": "Method Not Allowed"})

            def authorizations_route(self, method: str, path: str) -> None:
                live = outer.idp.authorized_clients(outer.user) if outer.idp else set()
                mine = [a for a in outer.apps.values() if a["client_id"] in live]
                if method == "GET" and path == "/idp/authorizations":
                    self.reply_json(200, [
                        {"app_id": a["app_id"], "client_id": a["client_id"], "name": a["name"],
                         "scopes": ["openid", "profile", "chutes:invoke"]} for a in mine
                    ])  # fmt: skip
                    return
                app_id = path.removeprefix("/idp/authorizations/")
                app = next((a for a in mine if a["app_id"] == app_id), None)
                if method != "DELETE":
                    self.reply_json(405, {"detail": "Method Not Allowed"})
                elif app is None:
                    self.reply_json(404, {"detail": "Authorization not found"})
                else:
                    outer.idp.end_authorization(outer.user, app["client_id"])
                    self.reply_json(200, {"revoked": True})

            def invalid(self, field: str, message: str) -> None:
                self.reply_json(422, {"detail": [{"loc": ["body", field], "msg": message}]})

            def create(self, body: Any) -> None:
                mode = outer.create_mode
                if mode == "500":
                    self.reply_json(500, {"detail": "Internal Server Error"})
                    return
                if mode == "nonjson":
                    self.reply_json(200, None, raw=b"<html>created</html>")
                    return
                name = body.get("name") if isinstance(body, dict) else None
                uris = body.get("redirect_uris") if isinstance(body, dict) else None
                if mode == "422" or not isinstance(name, str) or not _NAME.match(name):
                    self.invalid("name", "Value error, invalid app name")
                    return
                if not isinstance(uris, list) or not 1 <= len(uris) <= 10:
                    self.invalid("redirect_uris", "Value error, 1-10 redirect URIs")
                    return
                taken = outer.taken | {a["name"].lower() for a in outer.apps.values()}
                if name.lower() in taken:
                    self.reply_json(409, {"detail": "An application with this name already exists"})
                    return
                client_id, secret = outer.next_client or (
                    "cid_" + "".join(secrets.choice(string.ascii_lowercase + string.digits)
                                     for _ in range(24)),
                    "csc_" + _alnum(48),
                )  # fmt: skip
                app_id = str(uuid.uuid4())
                now = "2026-12-01T00:00:00Z"
                app = {
                    "app_id": app_id, "client_id": client_id, "client_secret": secret,
                    "user_id": "u-1", "name": name, "description": body.get("description"),
                    "redirect_uris": uris, "homepage_url": None, "logo_url": None,
                    "active": True, "public": body.get("public", True),
                    "refresh_token_lifetime_days": body.get("refresh_token_lifetime_days", 30),
                    "created_at": now, "updated_at": now,
                }  # fmt: skip
                outer.apps[app_id] = app
                if mode == "wrongtypes":
                    self.reply_json(200, {**app, "client_id": 12345, "client_secret": ["x"]})
                    return
                self.reply_json(200, app)

            def account_route(self, path: str) -> None:
                if outer.account_status is not None:
                    self.reply_json(outer.account_status, {"detail": "Not Found"})
                elif path == "/users/me":
                    self.reply_json(200, {"username": "alice", "user_id": "u-1",
                                     "created_at": "2026-01-01T00:00:00Z",
                                     "balance": outer.balance, "permissions": [],
                                     "quotas": {}})  # fmt: skip
                elif path == "/users/me/subscription_usage":
                    self.reply_json(200, outer.subscription)
                elif path == "/users/me/quotas":
                    self.reply_json(200, outer.quotas)
                elif path.startswith("/users/me/quota_usage/"):
                    chute = unquote(path.removeprefix("/users/me/quota_usage/"))
                    quota = next(
                        (q["quota"] for q in outer.quotas if isinstance(q, dict)
                         and q.get("chute_id") == chute), 0,
                    ) if isinstance(outer.quotas, list) else 0  # fmt: skip
                    self.reply_json(200, {"quota": quota, "used": outer.quota_used.get(chute, 0.0)})
                else:
                    self.reply_json(404, {"detail": "Not Found"})

            def do_GET(self) -> None:
                self.handle_any("GET")

            def do_POST(self) -> None:
                self.handle_any("POST")

            def do_DELETE(self) -> None:
                self.handle_any("DELETE")

        return Handler
