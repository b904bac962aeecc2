"""The one-shot loopback server that receives the sign-in callback (bound before the browser
opens): it answers only the redirect path, refuses a wrong state and waits on, and stops at a
code or an ``error=`` with this sign-in's state. Every connection has its own thread."""

from __future__ import annotations

import html
import queue
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from genesis_cli.errors import GenesisError
from genesis_cli.oauth.protocol import OAuthError
from genesis_cli.oauth.redirect import BadRedirect, code_from_params

if TYPE_CHECKING:
    from genesis_cli.providers import Provider


class PortInUse(GenesisError):
    pass


class CallbackServer:
    """Listens on the redirect URI; results (a code or an exception) arrive in ``results``."""

    def __init__(
        self,
        provider: Provider,
        redirect_uri: str,
        expected_state: str,
        results: queue.Queue[tuple[str, Any]],
    ) -> None:
        parts = urlsplit(redirect_uri)
        self.path = parts.path or "/"
        self.host = "127.0.0.1" if parts.hostname == "localhost" else str(parts.hostname)
        self.port = parts.port or 80
        self.provider = provider
        self.expected_state = expected_state
        self.results = results
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        owner = self

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True  # SO_REUSEADDR: a new sign-in can bind at once
            address_family = socket.AF_INET6 if ":" in owner.host else socket.AF_INET

            def handle_error(self, request: Any, client_address: Any) -> None:
                # Not socketserver's traceback (which may quote the request) on the user's
                # terminal: a dropped connection is routine, anything else is a note.
                if not isinstance(sys.exc_info()[1], OSError):
                    error = type(sys.exc_info()[1]).__name__
                    owner.results.put(("ignored", f"a callback failed ({error}); still waiting"))

        class Handler(BaseHTTPRequestHandler):
            timeout = 10  # a connection that sends nothing is dropped, not waited on
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the query holds the code: never logged

            def do_GET(self) -> None:
                owner._handle(self)

            def do_HEAD(self) -> None:
                _answer(self, 404, "Not found", "Nothing here.")

        try:
            self._server = Server((self.host, self.port), Handler)
        except OSError as exc:
            raise PortInUse(f"cannot listen on {self.host}:{self.port} ({exc.strerror})") from None
        serve = self._server.serve_forever
        threading.Thread(target=serve, args=(0.1,), name="genesis-callback", daemon=True).start()

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        if parts.path != self.path:
            _answer(request, 404, "Not found", "Nothing here.")
            return
        name = self.provider.display_name
        try:
            code = code_from_params(self.provider, parse_qs(parts.query), self.expected_state)
        except OAuthError as exc:  # a denial, or a refused scope: both end this sign-in
            text = f"{name} reported: {exc.message}. Return to the terminal for details."
            _answer(request, 200, "Sign-in was not completed", text)
            self.results.put(("error", exc))
        except BadRedirect as exc:
            title = "This link does not belong to the current sign-in"
            again = "start the sign-in again from the link in your terminal."
            _answer(request, 400, title, f"{exc.message}. Genesis is still waiting: {again}")
            what = f": {exc.message}"
            if exc.wrong_state:
                what = " with the wrong state (not from this sign-in)"
            self.results.put(("ignored", f"ignored a callback{what}; still waiting"))
        else:
            text = "Genesis has your sign-in. You can close this tab and return to the terminal."
            _answer(request, 200, f"Signed in to {name}", text)
            self.results.put(("code", code))

    def close(self) -> None:
        """Stop serving (``shutdown`` waits for the serving thread) and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _answer(request: BaseHTTPRequestHandler, status: int, title: str, text: str) -> None:
    """A small HTML page, never cached, and the connection closed."""
    body = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f'<title>{html.escape(title)}</title></head><body style="font-family:sans-serif;'
        f'max-width:36em;margin:4em auto"><h1>{html.escape(title)}</h1>'
        f"<p>{html.escape(text)}</p></body></html>"
    ).encode()
    request.send_response(status)
    request.send_header("Content-Type", "text/html; charset=utf-8")
    request.send_header("Content-Length", str(len(body)))
    request.send_header("Cache-Control", "no-store")
    request.send_header("Connection", "close")  # sets close_connection too
    request.end_headers()
    if request.command != "HEAD":
        request.wfile.write(body)
