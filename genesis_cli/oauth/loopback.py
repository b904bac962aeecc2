"""The one-shot loopback server that receives the sign-in callback.

Bound before the browser opens, on the redirect URI's own loopback host and port. It answers
only the redirect path (404 for anything else, favicon included), keeps waiting after a
callback with a wrong state (of any kind, ``error=`` included: the terminal is told), and
stops at the first good code, or an ``error=`` that carries this sign-in's state. Every response
says ``Connection: close``. Browsers open speculative connections that never send a request:
each connection has its own thread and a short socket timeout, so none can block the rest.
"""

from __future__ import annotations

import queue
import socket
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from genesis_cli.errors import GenesisError
from genesis_cli.oauth.protocol import OAuthError
from genesis_cli.oauth.redirect import BadRedirect, code_from_params

if TYPE_CHECKING:
    from http.server import ThreadingHTTPServer

    from genesis_cli.providers import Provider


class PortInUse(GenesisError):
    pass


def _page(title: str, text: str) -> bytes:
    import html

    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f'<title>{html.escape(title)}</title></head><body style="font-family:sans-serif;'
        f'max-width:36em;margin:4em auto"><h1>{html.escape(title)}</h1>'
        f"<p>{html.escape(text)}</p></body></html>"
    ).encode()


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
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        owner = self

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True  # SO_REUSEADDR: a new sign-in can bind at once
            address_family = socket.AF_INET6 if ":" in owner.host else socket.AF_INET

            def handle_error(self, request: Any, client_address: Any) -> None:
                # socketserver would print a traceback (which may quote the request) to the
                # user's terminal. A dropped connection is routine for browsers; anything else
                # is reported as a note and the wait goes on.
                import sys

                error = sys.exc_info()[1]
                if not isinstance(error, OSError):
                    owner.results.put(
                        ("ignored", f"a callback failed ({type(error).__name__}); still waiting")
                    )

        class Handler(BaseHTTPRequestHandler):
            timeout = 10  # a connection that sends nothing is dropped, not waited on
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the query holds the code: never logged

            def do_GET(self) -> None:
                owner._handle(self)

            def do_HEAD(self) -> None:
                self._send(404, _page("Not found", "Nothing here."))

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
                self.close_connection = True

        try:
            self._server = Server((self.host, self.port), Handler)
        except OSError as exc:
            raise PortInUse(f"cannot listen on {self.host}:{self.port} ({exc.strerror})") from None
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="genesis-callback",
            daemon=True,
        )
        self._thread.start()

    def _handle(self, request: Any) -> None:
        parts = urlsplit(request.path)
        if parts.path != self.path:
            request._send(404, _page("Not found", "Nothing here."))
            return
        params = parse_qs(parts.query)
        name = self.provider.display_name
        try:
            code = code_from_params(self.provider, params, self.expected_state)
        except OAuthError as exc:  # a denial, or a refused scope: both end this sign-in
            text = f"{name} reported: {exc.message}. Return to the terminal for details."
            request._send(200, _page("Sign-in was not completed", text))
            self.results.put(("error", exc))
            return
        except BadRedirect as exc:
            text = f"{exc.message}. Genesis is still waiting: start the sign-in again from "
            text += "the link in your terminal."
            request._send(400, _page("This link does not belong to the current sign-in", text))
            note = (
                "ignored a callback with the wrong state (not from this sign-in); still waiting"
                if exc.wrong_state
                else f"ignored a callback: {exc.message}; still waiting"
            )
            self.results.put(("ignored", note))
            return
        text = "Genesis has your sign-in. You can close this tab and return to the terminal."
        request._send(200, _page(f"Signed in to {name}", text))
        self.results.put(("code", code))

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
