"""The one way genesis talks HTTP: bounded in time and size, TLS verified, honest user agent.
``requests`` bounds each read, not a request (a server may drip a byte a second), so each
request runs in a daemon thread the caller waits for at most the whole deadline."""

from __future__ import annotations

import json
import os
import threading
import time
from typing import TYPE_CHECKING, Any, NamedTuple
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


CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")


def check_ca_bundles() -> None:
    """A CA bundle named in the environment but missing is a TLS failure naming the variable
    (requests would raise a bare ``OSError``, or silently use another bundle)."""
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


def new_session() -> requests.Session:
    """A session with genesis's user agent; proxies and CA bundles from the environment are
    requests' defaults, ``~/.netrc`` is not: genesis sends only the credential it chose."""
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept"] = "application/json"
    # Without auth set, requests would replace the Bearer header with ~/.netrc's Basic auth.
    session.auth = lambda prepared: prepared
    return session


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


# What each requests exception means, most specific first.
_REASONS = (
    ("SSLError", "TLS handshake with {host} failed (certificate or protocol)"),
    ("ConnectTimeout", "connecting to {host} timed out"),
    ("Timeout", "{host} did not answer within {total:g}s"),
    ("ProxyError", "the proxy refused or failed the connection to {host}"),
    ("ChunkedEncodingError", "the connection to {host} broke off in the middle of the answer"),
    ("ContentDecodingError", "the connection to {host} broke off in the middle of the answer"),
    ("ConnectionError", "could not connect to {host} (refused, reset or no route)"),
    ("RequestException", "request to {host} failed: {kind}"),
)


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
        import requests  # already loaded by the request that failed

        for name, reason in _REASONS:
            if isinstance(error, getattr(requests.exceptions, name)):
                kind = type(error).__name__
                raise NetworkError(reason.format(host=host, total=total, kind=kind)) from error
        raise error
    response: Response = outcome["response"]
    return response


def _send(method: str, url: str, options: dict[str, Any], total: float, limit: int) -> Response:
    session = new_session()
    timeouts = (min(MAX_CONNECT_SECONDS, total), total)
    started = time.monotonic()
    try:
        with session.request(
            method, url, **options, timeout=timeouts, stream=True, allow_redirects=False
        ) as resp:
            too_large = NetworkError(f"{urlsplit(url).netloc} sent more than {limit >> 20} MiB")
            declared = resp.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise too_large
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > limit:
                    raise too_large
                chunks.append(chunk)
            headers = {k.lower(): v for k, v in resp.headers.items()}
            return Response(resp.status_code, headers, b"".join(chunks), time.monotonic() - started)
    finally:
        session.close()
