"""Real HTTP servers on 127.0.0.1 for tests: a Chutes-shaped models API with switchable faults,
and its chat completions (JSON, or server-sent events when the request asks to stream)."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _QuietServer(ThreadingHTTPServer):
    """Keeps handler errors off ``sys.stderr``.

    A handler thread can outlive its test (a client that gave up on a drip or a huge body):
    socketserver's default traceback would then land in whatever the next test captures.
    Dropped connections are routine here; any other error is kept in ``errors``.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.errors: list[BaseException] = []

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if error is not None and not isinstance(error, OSError):
            self.errors.append(error)


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1, no request log, and one way to answer, closing the connection after it."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def reply(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 (a free port) running in a daemon thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions raised in handlers (not dropped connections): a test server bug."""
        return self._server.errors

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @contextlib.contextmanager
    def running(self) -> Iterator[LocalServer]:
        """Started for the block, stopped after it; then a handler error fails the test."""
        self.start()
        try:
            yield self
        finally:
            self.stop()
        assert not self.errors, f"the test server failed: {self.errors!r}"


class ModelsServer(LocalServer):
    """Serves ``GET /v1/models``. ``mode`` picks the behaviour; ``requests`` records each call.

    Modes: ok, 500, 429 (with Retry-After), html, drip (one byte every ``drip_interval`` s,
    bounded), huge (past the 8 MiB cap), reset (TCP reset mid-body), reject-bearer.

    ``POST /v1/chat/completions`` answers ``chat_text`` (see ``chat_answer``), as server-sent
    events when the body says ``"stream": true``. ``chat_accepts``, when set, is the one judge
    of its bearer token: anything else (or no token) gets Chutes' 401. ``chats`` records each
    call's Authorization header and body.
    """

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.mode = "ok"
        self.valid_tokens: set[str] | None = None
        self.drip_interval = 0.5
        self.requests: list[dict[str, str]] = []
        self.retry_after = "30"  # the Retry-After of mode 429
        self.raw_body: bytes | None = None  # served as it is instead of ``body``
        self.chat_mode = "ok"  # see chat_answer
        self.chat_error: tuple[int, Any] | None = None  # (status, JSON body) served instead
        self.chat_delay = 0.0
        self.chat_text = "p"
        self.chat_accepts: Callable[[str], bool] | None = None
        self.chats: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        super().__init__(self._handler())

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                with outer._lock:
                    outer.requests.append(
                        {
                            "path": self.path,
                            "authorization": self.headers.get("Authorization", ""),
                            "user-agent": self.headers.get("User-Agent", ""),
                        }
                    )
                if self.path.rstrip("/") != "/v1/models":
                    self.reply(404, b'{"detail":"Not Found"}')
                    return
                auth = self.headers.get("Authorization", "")
                mode = outer.mode
                if mode == "reject-bearer" or (outer.valid_tokens is not None and auth):
                    token = auth.removeprefix("Bearer ")
                    if auth and (outer.valid_tokens is None or token not in outer.valid_tokens):
                        self.reply(401, b'{"detail":"Invalid token or user not found"}')
                        return
                if mode == "429":
                    self.send_response(429)
                    self.send_header("Retry-After", outer.retry_after)
                    self.send_header("Content-Length", "2")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(b"{}")
                elif mode == "reset":
                    # Headers and part of the body, then a TCP reset (SO_LINGER 0).
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.write(b'{"object": "list", "data": [{"id": "a"')
                    self.wfile.flush()
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.close_connection = True
                elif mode == "500":
                    self.reply(500, b'{"detail":"Internal Server Error"}')
                elif mode == "html":
                    self.reply(
                        200, b"<html><body>maintenance</body></html>", content_type="text/html"
                    )
                elif mode == "drip":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                    try:
                        for _ in range(40):  # bounded: 40 bytes at most
                            self.wfile.write(b" ")
                            self.wfile.flush()
                            time.sleep(outer.drip_interval)
                    except OSError:
                        pass
                elif mode == "huge":
                    self.close_connection = True
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    try:
                        chunk = b" " * 65536
                        for _ in range(200):  # 12.5 MiB, past the 8 MiB cap
                            self.wfile.write(chunk)
                    except OSError:
                        pass
                elif outer.raw_body is not None:
                    self.reply(200, outer.raw_body)
                else:
                    self.reply(200, json.dumps(outer.body).encode())

            def do_POST(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = None
                with outer._lock:
                    outer.chats.append(
                        {"authorization": self.headers.get("Authorization", ""), "body": body}
                    )
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self.reply(404, b'{"detail":"Not Found"}')
                    return
                if outer.chat_delay:
                    time.sleep(outer.chat_delay)
                auth = self.headers.get("Authorization", "")
                if outer.chat_accepts is not None and not (
                    auth.startswith("Bearer ") and outer.chat_accepts(auth.removeprefix("Bearer "))
                ):
                    status, detail = CHAT_ERRORS["401"]
                    self.reply(status, json.dumps(detail).encode())
                    return
                status, payload, headers = (
                    (outer.chat_error[0], json.dumps(outer.chat_error[1]).encode(), {})
                    if outer.chat_error is not None
                    else chat_answer(outer.chat_mode, body, outer.chat_text)
                )
                if status == 200 and isinstance(body, dict) and body.get("stream") is True:
                    payload = stream_of(json.loads(payload))
                    headers = {**headers, "Cache-Control": "no-cache"}
                    self.reply(status, payload, headers, content_type="text/event-stream")
                    return
                self.reply(status, payload, headers)

        return Handler


# Chutes' real chat-completions answers (chutes-api-facts.md), by mode.
CHAT_ERRORS: dict[str, tuple[int, Any]] = {
    "401": (401, {"detail": "Invalid token or user not found"}),
    "403": (403, {"detail": "Token does not have permission for this resource"}),
    "402": (402, {"detail": "TEE models require an active subscription or positive balance."}),
    "402-quota": (
        402,
        {
            "detail": {
                "message": "Quota exceeded and account balance is $0.0, please pay with fiat "
                "or send tao to 5F...",
                "quota_reset_timestamp": "2026-12-02T00:00:00Z",
            }
        },
    ),
    "429": (429, {"detail": "Infrastructure is at maximum capacity, try again later"}),
    "503": (503, {"detail": "No instances available (yet) for chute_id='e51e818e'"}),
}


def chat_answer(mode: str, body: Any, text: str = "p") -> tuple[int, bytes, dict[str, str]]:
    """Status, body and headers of ``POST /v1/chat/completions`` in ``mode``; mode ok answers
    ``text`` (the one-token probe answer "p" stops for length, any other text stops)."""
    model = body.get("model") if isinstance(body, dict) else None
    if mode == "ok":
        answer = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text},
                 "finish_reason": "length" if text == "p" else "stop"}
            ],
            "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10},
        }  # fmt: skip
        quota = {"X-Chutes-Quota-Total": "300", "X-Chutes-Quota-Used": "12",
                 "X-Chutes-Quota-Remaining": "288"}  # fmt: skip
        return 200, json.dumps(answer).encode(), quota
    if mode == "404":
        return 404, json.dumps({"detail": f"model not found: {model}"}).encode(), {}
    if mode == "429-retry":
        status, detail = CHAT_ERRORS["429"]
        return status, json.dumps(detail).encode(), {"Retry-After": "17"}
    if mode == "nochoices":
        return 200, b'{"id": "x", "object": "chat.completion"}', {}
    if mode == "html":
        return 200, b"<html>oops</html>", {}
    status, detail = CHAT_ERRORS[mode]
    return status, json.dumps(detail).encode(), {}


def stream_of(answer: dict[str, Any]) -> bytes:
    """A chat completion as OpenAI's server-sent events: a role chunk, a content chunk, a
    finish chunk, a usage chunk (what ``stream_options.include_usage`` asks for), ``[DONE]``."""
    choice = answer["choices"][0]
    base = {k: answer[k] for k in ("id", "created", "model") if k in answer}
    base["object"] = "chat.completion.chunk"
    deltas = [
        {"role": "assistant", "content": ""},
        {"content": choice["message"]["content"]},
        {},
    ]
    chunks = [
        {**base, "choices": [{"index": 0, "delta": delta,
                              "finish_reason": choice["finish_reason"] if not delta else None}]}
        for delta in deltas
    ]  # fmt: skip
    chunks.append({**base, "choices": [], "usage": answer["usage"]})
    lines = [f"data: {json.dumps(chunk)}\n\n" for chunk in chunks]
    return ("".join(lines) + "data: [DONE]\n\n").encode()
