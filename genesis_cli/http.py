"""The one way genesis talks HTTP: bounded in time and size, TLS verified, honest user agent.
Standard library only (``http.client``; requests cost 70 ms of start-up). A socket timeout
bounds each read, not a request (a server may drip a byte a second), so each request runs in a
daemon thread the caller waits for at most the whole deadline. Redirects are not followed,
``~/.netrc`` is not read, proxies and CA bundles come from the environment as requests took
them (docs/network.md)."""

from __future__ import annotations

import ipaddress
import json
import os
import threading
import time
import zlib
from base64 import b64encode
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote, urlencode, urlsplit

from genesis_cli import __version__
from genesis_cli.errors import NetworkError, UsageError
from genesis_cli.text import one_line
from genesis_cli.urls import loopback

if TYPE_CHECKING:
    import ssl

DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_CONNECT_SECONDS = 3.0
MAX_BODY_BYTES = 8 * 1024 * 1024
USER_AGENT = f"genesis/{__version__}"


def http_timeout() -> float:
    """Seconds one request may take in all (``GENESIS_HTTP_TIMEOUT``, default 10)."""
    raw = os.environ.get("GENESIS_HTTP_TIMEOUT", "").strip()
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT_SECONDS
    except ValueError:
        value = -1.0
    if not (0 < value <= 3600):
        raise UsageError(
            f"GENESIS_HTTP_TIMEOUT={raw!r} is not a number of seconds between 0 and 3600",
            hint="set it to e.g. 10, or unset it",
        )
    return value


# Most specific first: the first one set is the only trust store used.
CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")


def check_ca_bundles() -> None:
    """A CA bundle named in the environment but missing is a TLS failure naming the variable
    (rather than a bare ``OSError``, or silently another bundle)."""
    for name in CA_BUNDLE_VARIABLES:
        value = os.environ.get(name, "")
        if value and not os.path.exists(value):
            raise NetworkError(
                f"TLS cannot be verified: {name}={one_line(value)[:200]} does not exist",
                hint=f"point {name} at a CA bundle file, or unset it",
            )


def masked_proxy(value: str) -> str:
    """A proxy URL with its user name and password replaced by ``***``."""
    head, at, host = value.rpartition("@")
    if not at:
        return value
    scheme = head.split("://", 1)[0] + "://" if "://" in head else ""
    return f"{scheme}***@{host}"


class Response(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float  # seconds from sending the request to the end of the body

    def json(self) -> Any:
        """The body as JSON; ``ValueError`` when it is not JSON, not UTF-8, or absurdly deep."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None

    def retry_after(self) -> int | None:
        """Seconds to wait from ``Retry-After`` (delta-seconds or an HTTP date; else ignored)."""
        value = self.headers.get("retry-after", "").strip()
        if value.isascii() and value.isdigit():
            return int(value) if len(value) <= 6 else None
        from email.utils import parsedate_to_datetime  # only for the rare HTTP date

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:  # an HTTP date is always GMT
            return None
        return max(0, round(when.timestamp() - time.time()))


# What each failure means; the connection's host is filled in.
_REASONS = {
    "tls": "TLS handshake with {host} failed (certificate or protocol)",
    "connect_timeout": "connecting to {host} timed out",
    "timeout": "{host} did not answer within {total:g}s",
    "proxy": "the proxy refused or failed the connection to {host}",
    "broken": "the connection to {host} broke off in the middle of the answer",
    "connect": "could not connect to {host} (refused, reset or no route)",
}


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    data: dict[str, str] | None = None,
    json_body: Any = None,
    timeout: float | None = None,
    max_bytes: int = MAX_BODY_BYTES,
) -> Response:
    """One request, its whole body read within ``timeout`` seconds; never retried (a POST
    that timed out may have been seen). ``NetworkError`` for anything but an HTTP answer."""
    total = http_timeout() if timeout is None else timeout
    parts = urlsplit(url)
    host = parts.netloc
    if parts.scheme == "https":
        check_ca_bundles()
    options = {"headers": headers, "data": data, "json": json_body}
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["response"] = _send(method, url, options, total, max_bytes)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="genesis-http", daemon=True)
    worker.start()
    worker.join(total)
    if worker.is_alive():
        raise NetworkError(f"{host} did not answer within {total:g}s")
    error = outcome.get("error")
    if error is not None:
        raise error
    response: Response = outcome["response"]
    return response


def tls_context() -> ssl.SSLContext:
    """Verification always on. Trust: the first CA bundle variable set (a file, or a directory
    of hashed certificates), else certifi's bundle when installed, else the system store."""
    import ssl  # start-up: see _send

    for name in CA_BUNDLE_VARIABLES:
        value = os.environ.get(name, "")
        if value:
            if os.path.isdir(value):
                return ssl.create_default_context(capath=value)
            return ssl.create_default_context(cafile=value)
    try:
        import certifi  # ~3.5 ms: only https without a CA bundle variable needs it
    except ImportError:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


def _proxy_for(scheme: str, hostname: str, netloc: str) -> tuple[str, int, str] | None:
    """The proxy for a URL from ``<scheme>_proxy``/``all_proxy`` (either case) unless
    ``no_proxy`` matches the host (a name suffix, ``*``, or an address network): host, port
    and ``Proxy-Authorization`` value (empty without credentials)."""
    if not any(name.lower().endswith("_proxy") for name in os.environ):
        return None  # the usual case, without importing urllib.request (5 ms)
    if loopback(hostname):  # plain http is allowed only there: it must not leave the machine
        return None
    # start-up: urllib.request (5 ms) only with a proxy variable set, as said above
    from urllib.request import (  # type: ignore[attr-defined]  # not in typeshed
        getproxies_environment,
        proxy_bypass_environment,
    )

    proxies = getproxies_environment()
    value = proxies.get(scheme) or proxies.get("all")
    if not value or proxy_bypass_environment(netloc, proxies) or _in_networks(hostname, proxies):
        return None
    parts = urlsplit(value if "://" in value else f"http://{value}")
    if parts.scheme != "http" or not parts.hostname:
        raise NetworkError(
            f"the proxy {masked_proxy(value)} is not an http:// proxy",
            hint="set HTTPS_PROXY / HTTP_PROXY / ALL_PROXY to http://host:port, or unset it",
        )
    try:
        port = parts.port or 80
    except ValueError:
        raise NetworkError(f"the proxy {masked_proxy(value)} has a bad port") from None
    auth = ""
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        auth = "Basic " + b64encode(pair.encode()).decode("ascii")
    return parts.hostname, port, auth


def _in_networks(hostname: str, proxies: dict[str, str]) -> bool:
    """Whether an address host is inside a ``no_proxy`` network such as ``10.0.0.0/8``."""
    entries = [e.strip() for e in proxies.get("no", "").split(",") if "/" in e]
    if not entries:
        return False
    try:
        address = ipaddress.ip_address(hostname)
        return any(address in ipaddress.ip_network(e, strict=False) for e in entries)
    except ValueError:
        return False


def _body_and_headers(options: dict[str, Any]) -> tuple[bytes | None, dict[str, str]]:
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/json",
        "Accept-Encoding": "gzip, deflate",
    }
    body: bytes | None = None
    if options["data"] is not None:
        body = urlencode(options["data"]).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif options["json"] is not None:
        body = json.dumps(options["json"]).encode()
        headers["Content-Type"] = "application/json"
    for name, value in (options["headers"] or {}).items():  # the caller's win, in any case
        for known in [k for k in headers if k.lower() == name.lower()]:
            del headers[known]
        headers[name] = value
    return body, headers


def _send(method: str, url: str, options: dict[str, Any], total: float, limit: int) -> Response:
    # with ssl, ~30 ms: only commands that talk to the network pay it
    import http.client
    import ssl

    parts = urlsplit(url)
    host = parts.netloc
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = -1
    if parts.scheme not in ("http", "https") or not parts.hostname or port < 0:
        raise NetworkError(f"request to {host} failed: not an http(s) URL with a host")
    body, headers = _body_and_headers(options)
    proxy = _proxy_for(parts.scheme, parts.hostname, host.rpartition("@")[2])
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    seconds = min(MAX_CONNECT_SECONDS, total)
    try:
        context = tls_context() if parts.scheme == "https" else None
    except ssl.SSLError as exc:  # a CA bundle that holds no certificate
        raise NetworkError(_REASONS["tls"].format(host=host)) from exc
    # Nothing below connects yet: the connection goes to the proxy when there is one.
    address = (proxy[0], proxy[1]) if proxy is not None else (parts.hostname, port)
    conn: http.client.HTTPConnection
    if context is not None:
        conn = http.client.HTTPSConnection(*address, timeout=seconds, context=context)
        if proxy is not None:  # a CONNECT tunnel: the proxy never sees the request
            tunnel = {"Proxy-Authorization": proxy[2]} if proxy[2] else None
            conn.set_tunnel(parts.hostname, port, headers=tunnel)
    else:
        conn = http.client.HTTPConnection(*address, timeout=seconds)
        if proxy is not None:  # plain HTTP is forwarded: the absolute URL goes to the proxy
            target = f"http://{host.rpartition('@')[2]}{target}"
            if proxy[2]:
                headers["Proxy-Authorization"] = proxy[2]
    started = time.monotonic()  # the request alone: not the set-up above
    try:
        try:
            conn.connect()
        except ssl.SSLError as exc:
            raise NetworkError(_REASONS["tls"].format(host=host)) from exc
        except (TimeoutError, ssl.CertificateError) as exc:
            key = "connect_timeout" if isinstance(exc, TimeoutError) else "tls"
            raise NetworkError(_REASONS[key].format(host=host)) from exc
        except OSError as exc:
            key = "proxy" if proxy is not None else "connect"
            raise NetworkError(_REASONS[key].format(host=host)) from exc
        if conn.sock is not None:
            conn.sock.settimeout(total)  # reads; the thread join bounds the whole request
        try:
            conn.request(method, target, body=body, headers=headers)
            resp = conn.getresponse()
        except ValueError:  # a header value with a line break: its text may be a secret
            raise NetworkError(
                f"request to {host} not sent: a header holds a character HTTP forbids"
            ) from None
        except TimeoutError as exc:
            raise NetworkError(_REASONS["timeout"].format(host=host, total=total)) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise NetworkError(_REASONS["connect"].format(host=host)) from exc
        answer: dict[str, str] = {}
        for name, value in resp.getheaders():  # a repeated field joined, as requests did
            key = name.lower()
            answer[key] = f"{answer[key]}, {value}" if key in answer else value
        data = _read_body(resp, answer, limit, host, total)
        return Response(resp.status, answer, data, time.monotonic() - started)
    finally:
        conn.close()


def _read_body(resp: Any, headers: dict[str, str], limit: int, host: str, total: float) -> bytes:
    """The body, gzip or deflate decoded, capped at ``limit`` bytes as sent and as decoded."""
    import http.client  # start-up: see _send, the caller

    too_large = NetworkError(f"{host} sent more than {limit >> 20} MiB")
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    encoding = headers.get("content-encoding", "").strip().lower()
    # wbits 47: a gzip or zlib header, detected; -15: "deflate" sent raw, without its header.
    decoder = zlib.decompressobj(47) if encoding in ("gzip", "x-gzip", "deflate") else None
    chunks: list[bytes] = []
    size = sent = 0
    try:
        while chunk := resp.read(65536):
            sent += len(chunk)  # as sent: bytes after a compressed stream's end count too
            if sent > limit:
                raise too_large
            if decoder is not None and encoding == "deflate" and not size and not chunks:
                zlib_header = len(chunk) > 1 and chunk[0] & 15 == 8 and chunk[0] << 8 | chunk[1]
                decoder = zlib.decompressobj(47 if zlib_header and zlib_header % 31 == 0 else -15)
            if decoder is not None:
                chunk = decoder.decompress(chunk, limit - size + 1)
                if decoder.unconsumed_tail:  # more than the cap is waiting to come out
                    raise too_large
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
        if decoder is not None and not decoder.eof:
            raise zlib.error("the compressed body ended early")
    except TimeoutError as exc:
        raise NetworkError(_REASONS["timeout"].format(host=host, total=total)) from exc
    except (OSError, http.client.HTTPException, zlib.error) as exc:
        raise NetworkError(_REASONS["broken"].format(host=host)) from exc
    if resp.length:  # the connection closed before the declared length arrived
        raise NetworkError(_REASONS["broken"].format(host=host))
    return b"".join(chunks)
