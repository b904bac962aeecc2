"""The one way genesis talks HTTP: bounded in time and size, TLS verified, honest user agent.

``requests`` bounds each socket read, not a whole request: a server that drips one byte a
second never trips its read timeout. So every request runs in a worker thread and the caller
waits at most the total deadline; a worker still stuck after that is abandoned (it is a daemon
thread and its own read timeout ends it soon after).
"""

from __future__ import annotations

import ipaddress
import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from genesis_cli import __version__
from genesis_cli.errors import NetworkError, UsageError
from genesis_cli.text import one_line

if TYPE_CHECKING:
    import requests

DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_CONNECT_SECONDS = 3.0
MAX_BODY_BYTES = 8 * 1024 * 1024
USER_AGENT = f"genesis/{__version__}"


def http_timeout() -> float:
    """Seconds one request may take in all (``GENESIS_HTTP_TIMEOUT``, default 10)."""
    raw = os.environ.get("GENESIS_HTTP_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not (0 < value <= 3600):
        raise UsageError(
            f"GENESIS_HTTP_TIMEOUT={raw!r} is not a number of seconds between 0 and 3600",
            hint="set it to e.g. 10, or unset it",
        )
    return value


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def ambiguous_url(url: str) -> bool:
    """A backslash, '@', whitespace, a control or a non-ASCII character: where ``urlsplit``,
    the HTTP library and a browser could disagree about the host (``http://evil:80\\@127.0.0.1``
    is 127.0.0.1 to one and ``evil`` to another), or a shell about where a quote ends
    (PowerShell ends '...' at a curly quote too)."""
    return not url.isascii() or any(
        ch in "\\@" or ch.isspace() or not ch.isprintable() for ch in url
    )


def check_service_url(url: str, variable: str) -> str:
    """Refuse a base URL that would send credentials in clear text or is not a URL at all.

    Parsed once, and refused wherever the host could be read two ways (``ambiguous_url``)
    or the URL carries userinfo.
    """
    if ambiguous_url(url):
        raise UsageError(
            f"{variable} holds a backslash, '@', a space, a control or a non-ASCII character; "
            "genesis does not guess which host that means",
            hint=f"set {variable} to a plain https://host/path URL, or unset it",
        )
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise UsageError(f"{variable} carries a user name or password", hint=f"fix {variable}")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError(
            f"{variable}={url!r} is not an http(s) URL", hint=f"fix or unset {variable}"
        )
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise UsageError(
            f"{variable} uses plain http to {parts.hostname}: credentials would travel unencrypted",
            hint=f"use https, or unset {variable}",
        )
    return url.rstrip("/")


CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")


def check_ca_bundles() -> None:
    """A CA bundle named in the environment that does not exist is a TLS failure naming the
    variable (requests would raise a bare ``OSError``, or silently use another bundle)."""
    for name in CA_BUNDLE_VARIABLES:
        value = os.environ.get(name, "")
        if value and not os.path.exists(value):
            raise NetworkError(
                f"TLS cannot be verified: {name}={plain_text(value)[:200]} does not exist",
                hint=f"point {name} at a CA bundle file, or unset it",
            )


def masked_proxy(value: str) -> str:
    """A proxy URL with its user name and password replaced by ``***``."""
    head, at, host = value.rpartition("@")
    if not at:
        return value
    scheme = head.split("://", 1)[0] + "://" if "://" in head else ""
    return f"{scheme}***@{host}"


def new_session() -> requests.Session:
    """A session with genesis's user agent. TLS verification, proxies and CA bundles from the
    environment are requests' defaults and are deliberately left alone; ``~/.netrc`` is not:
    the only credential genesis sends is the one it chose."""
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept"] = "application/json"
    # requests reads ~/.netrc when no auth is set and would replace the Bearer header with
    # Basic auth: an auth hook that changes nothing turns that off, keeping trust_env's rest.
    session.auth = _unchanged
    return session


def _unchanged(prepared: requests.PreparedRequest) -> requests.PreparedRequest:
    return prepared


@dataclass
class Response:
    status: int
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    # Seconds from sending the request to the end of the body: the request alone, not the
    # import of requests or the session set-up before it.
    elapsed: float = 0.0

    def json(self) -> Any:
        """The body as JSON; ``ValueError`` when it is not JSON, not UTF-8, or absurdly deep."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None

    def retry_after(self) -> int | None:
        """Seconds to wait from ``Retry-After``: delta-seconds or an HTTP date, nothing else
        (any other value is ignored, never shown)."""
        value = self.headers.get("retry-after", "").strip()
        if value.isascii() and value.isdigit():
            return int(value) if len(value) <= 6 else None
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:  # an HTTP date is always GMT
            return None
        return max(0, round(when.timestamp() - time.time()))

    def detail(self) -> str:
        """What the server said, as plain text (untrusted: shown, not read). The caller
        redacts secrets and then cuts it short (``Provider.redact``).

        Chutes answers errors FastAPI-style: ``{"detail": "..."}``, ``{"detail": {"message":
        ...}}`` or, for validation, ``{"detail": [{"msg": ...}]}``; anything else is the raw
        body (its first 64 KiB).
        """
        try:
            body = self.json()
        except ValueError:
            body = None
        text = _detail_text(body.get("detail") if isinstance(body, dict) else None)
        if text is None:
            text = self.body[:65536].decode("utf-8", "replace")
        return text


def _detail_text(detail: Any) -> str | None:
    if isinstance(detail, str):
        return detail
    if isinstance(detail, dict) and isinstance(detail.get("message"), str):
        return str(detail["message"])
    if isinstance(detail, list):
        messages = [
            d["msg"] for d in detail[:5] if isinstance(d, dict) and isinstance(d.get("msg"), str)
        ]
        return "; ".join(messages) or None
    return None


def plain_text(text: str) -> str:
    """Server text on one line, made terminal-safe: ``text.one_line`` under the name
    callers of this module know."""
    return one_line(text)


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
    """Send one request and read its whole body within ``timeout`` seconds in all.

    Raises ``NetworkError`` for anything that is not an HTTP answer (refused, reset, TLS,
    timed out, body over ``max_bytes``). HTTP error statuses are returned, not raised.
    Nothing is retried: a POST that timed out may have been seen by the server.
    """
    total = http_timeout() if timeout is None else timeout
    parts = urlsplit(url)
    host = parts.netloc
    if parts.scheme == "https":
        check_ca_bundles()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["response"] = _send(method, url, headers, data, json_body, total, max_bytes)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="genesis-http", daemon=True)
    worker.start()
    worker.join(total)
    if worker.is_alive():
        raise NetworkError(f"{host} did not answer within {total:g}s")
    if "error" in outcome:
        raise _wrap(outcome["error"], host, total)
    response: Response = outcome["response"]
    return response


def _send(
    method: str,
    url: str,
    headers: dict[str, str] | None,
    data: dict[str, str] | None,
    json_body: Any,
    total: float,
    max_bytes: int,
) -> Response:
    session = new_session()
    started = time.monotonic()
    try:
        with session.request(
            method,
            url,
            headers=headers,
            data=data,
            json=json_body,
            stream=True,
            allow_redirects=False,
            timeout=(min(MAX_CONNECT_SECONDS, total), total),
        ) as resp:
            declared = resp.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise _TooLarge(max_bytes)
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > max_bytes:
                    raise _TooLarge(max_bytes)
                chunks.append(chunk)
            return Response(
                status=resp.status_code,
                url=url,
                headers={k.lower(): v for k, v in resp.headers.items()},
                body=b"".join(chunks),
                elapsed=time.monotonic() - started,
            )
    finally:
        session.close()


class _TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def _wrap(exc: BaseException, host: str, total: float) -> BaseException:
    """Turn a requests/urllib3 exception into one ``NetworkError`` with a plain message."""
    if isinstance(exc, _TooLarge):
        return NetworkError(f"{host} sent more than {exc.limit // (1024 * 1024)} MiB")
    import requests

    if isinstance(exc, requests.exceptions.SSLError):
        error = NetworkError(f"TLS handshake with {host} failed (certificate or protocol)")
    elif isinstance(exc, requests.exceptions.ConnectTimeout):
        error = NetworkError(f"connecting to {host} timed out")
    elif isinstance(exc, requests.exceptions.Timeout):
        error = NetworkError(f"{host} did not answer within {total:g}s")
    elif isinstance(exc, requests.exceptions.ProxyError):
        error = NetworkError(f"the proxy refused or failed the connection to {host}")
    elif isinstance(
        exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    ):
        error = NetworkError(f"the connection to {host} broke off in the middle of the answer")
    elif isinstance(exc, requests.exceptions.ConnectionError):
        error = NetworkError(f"could not connect to {host} (refused, reset or no route)")
    elif isinstance(exc, requests.exceptions.RequestException):
        error = NetworkError(f"request to {host} failed: {type(exc).__name__}")
    else:
        return exc
    error.__cause__ = exc
    return error
