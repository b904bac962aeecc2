"""Real servers on 127.0.0.1 for the HTTP layer's tests.

``Stub``: canned answers per method and path, recording each request (what the unit tests of
the OAuth and catalog code need). ``TLSServer`` and a throwaway CA: HTTPS with a certificate
trusted only through a CA bundle the test names. ``Proxy``: a forward and CONNECT proxy that
reaches only the addresses it is given (never the internet), recording what it was asked.
"""

from __future__ import annotations

import contextlib
import datetime
import json as jsonlib
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from email.message import Message
from pathlib import Path
from socketserver import BaseRequestHandler, ThreadingTCPServer
from typing import Any, NamedTuple

from tests.servers import LocalServer, QuietHandler

GET = "GET"
POST = "POST"


class Recorded(NamedTuple):
    method: str
    url: str  # the path and query asked for
    headers: Message  # case-insensitive; a missing name reads as None
    body: str


class Call(NamedTuple):
    request: Recorded


Answer = tuple[int, dict[str, str], "str | bytes"]


class Stub:
    """A server answering from routes added with ``get``/``post``/``add_callback``; ``calls``
    records every request. A request no route matches is dropped unanswered (a failure)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.unmatched: list[Recorded] = []
        self._routes: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = LocalServer(self._handler())
        self._server.start()
        self.base = f"http://127.0.0.1:{self._server.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(
        self,
        method: str,
        url: str,
        *,
        status: int = 200,
        json: Any = None,
        body: str | bytes = b"",
        headers: dict[str, str] | None = None,
        match_headers: dict[str, str] | None = None,
        fault: str = "",
        callback: Callable[[Recorded], Answer] | None = None,
    ) -> None:
        """``fault``: "stall" (never answers) or "close" (drops the connection)."""
        if json is not None:
            body = jsonlib.dumps(json)
        path = url.removeprefix(self.base)
        assert path.startswith("/"), f"{url} is not on this server ({self.base})"
        route = {"method": method, "path": path, "status": status, "headers": headers or {},
                 "body": body.encode() if isinstance(body, str) else body,
                 "match": match_headers or {}, "fault": fault, "callback": callback}  # fmt: skip
        with self._lock:
            self._routes.append(route)

    def get(self, url: str, **kwargs: Any) -> None:
        self.add(GET, url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> None:
        self.add(POST, url, **kwargs)

    def add_callback(self, method: str, url: str, callback: Callable[[Recorded], Answer]) -> None:
        self.add(method, url, callback=callback)

    def reset(self) -> None:
        with self._lock:
            self._routes.clear()
            self.calls.clear()
            self.unmatched.clear()

    @contextlib.contextmanager
    def routes(self, assert_all_used: bool = True) -> Iterator[Stub]:
        """The routes and calls of the block, forgotten after it; by then every route must
        have been used (as ``responses.RequestsMock`` checked) unless told otherwise."""
        try:
            yield self
            with self._lock:
                unused = [r for r in self._routes if not r.get("used")]
            assert not (assert_all_used and unused), f"routes never requested: {unused}"
            assert not self.unmatched, f"requests no route answered: {self.unmatched}"
        finally:
            self.reset()

    def stop(self) -> None:
        self._server.stop()

    def _pick(self, request: Recorded) -> dict[str, Any] | None:
        with self._lock:
            matching = [
                r for r in self._routes
                if r["method"] == request.method and r["path"] == request.url.split("?")[0]
                and all(request.headers.get(k) == v for k, v in r["match"].items())
            ]  # fmt: skip
            if not matching:
                self.unmatched.append(request)
                return None
            self.calls.append(Call(request))
            route = matching[0]
            route["used"] = True
            if len(matching) > 1:  # as ``responses``: the next request gets the next one
                self._routes.remove(route)
            return route

    def _handler(self) -> type[QuietHandler]:
        outer = self

        class Handler(QuietHandler):
            def answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace")
                request = Recorded(self.command, self.path, self.headers, body)
                route = outer._pick(request)
                if route is None or route["fault"] == "close":
                    self.close_connection = True
                    return
                if route["fault"] == "stall":
                    time.sleep(5)  # past any deadline a test sets
                    self.close_connection = True
                    return
                if route["callback"] is not None:
                    status, headers, data = route["callback"](request)
                    data = data.encode() if isinstance(data, str) else data
                    self.reply(status, data, headers)
                else:
                    self.reply(route["status"], route["body"], route["headers"])

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = answer

        return Handler


# --- TLS -----------------------------------------------------------------------------------


class TestCA(NamedTuple):
    bundle: Path  # the CA certificate, PEM: what a CA bundle variable points at
    cert: Path  # the server's certificate, signed by the CA
    key: Path


def make_ca(folder: Path, names: tuple[str, ...] = ("localhost",)) -> TestCA:
    """A throwaway CA and a server certificate for ``names`` and 127.0.0.1."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "genesis test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    alt = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    found = TestCA(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    found.bundle.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    found.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    found.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return found


class TLSStub(Stub):
    """``Stub`` over HTTPS with the certificate of ``ca``."""

    def __init__(self, ca: TestCA) -> None:
        super().__init__()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(ca.cert, ca.key)
        server = self._server._server
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self.base = f"https://127.0.0.1:{self._server.port}"


# --- a proxy -------------------------------------------------------------------------------


class Proxy:
    """A forward (``GET http://...``) and tunnelling (``CONNECT host:port``) HTTP proxy.

    ``routes`` maps the ``host:port`` a client asks for to the 127.0.0.1 port it really
    reaches; anything else is refused (403), so no test traffic leaves the machine. ``seen``
    records each request line with its ``Proxy-Authorization`` header. Each connection is
    bounded: 10 s without traffic ends it."""

    def __init__(self, routes: dict[str, int]) -> None:
        self.routes = routes
        self.seen: list[tuple[str, str]] = []
        outer = self

        class Handler(BaseRequestHandler):
            def handle(self) -> None:
                outer._serve(self.request)

        ThreadingTCPServer.allow_reuse_address = True
        self._server = ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(10)
        head = read_head(client)
        if b"\r\n\r\n" not in head:
            return
        lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        auth = next((ln.split(":", 1)[1].strip() for ln in lines[1:]
                     if ln.lower().startswith("proxy-authorization:")), "")  # fmt: skip
        self.seen.append((lines[0], auth))
        where = target if method == "CONNECT" else target.split("/", 3)[2]
        if ":" not in where:
            where += ":443" if method == "CONNECT" else ":80"
        port = self.routes.get(where)
        if port is None:
            client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        with socket.create_connection(("127.0.0.1", port), timeout=10) as upstream:
            if method == "CONNECT":
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:  # forwarded in origin form: what the server behind would have seen
                path = "/" + target.split("/", 3)[3] if target.count("/") >= 3 else "/"
                upstream.sendall(head.replace(target.encode(), path.encode(), 1))
            self._pipe(client, upstream)

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready, _, _ = select.select([a, b], [], [], 10)
            if not ready:
                return
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                (b if sock is a else a).sendall(data)


def read_head(client: socket.socket) -> bytes:
    """What a client sent up to the end of its request head (or 64 KiB, or its EOF)."""
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 65536:
        data = client.recv(4096)
        if not data:
            break
        head += data
    return head
