"""URL policy: which URLs genesis sends anything to."""

from __future__ import annotations

import re

from genesis_cli.errors import UsageError

# scheme://host[:port][/path] with a plain host, which urlsplit reads the same way: checked
# without urllib.parse and the ipaddress it imports (1.5 ms of `env` with a base URL set).
_PLAIN_URL = re.compile(r"(https?)://([a-z0-9.-]+)(?::([0-9]{1,5}))?(?:/[^?#]*)?")


def ambiguous_url(url: str) -> bool:
    """A backslash, '@', whitespace, a control or non-ASCII character: ``urlsplit``, the HTTP
    library and a browser could disagree on the host (``http://evil:80\\@127.0.0.1``), or a
    shell on where a quote ends (PowerShell ends '...' at a curly quote too)."""
    return not url.isascii() or any(
        ch in "\\@" or ch.isspace() or not ch.isprintable() for ch in url
    )


def loopback(host: str) -> bool:
    if host in ("localhost", "127.0.0.1"):
        return True
    import ipaddress  # start-up: see _PLAIN_URL

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _scheme_and_host(url: str, variable: str) -> tuple[str, str | None]:
    plain = _PLAIN_URL.fullmatch(url)
    if plain and int(plain[3] or 0) <= 65535:
        return plain[1], plain[2]
    from urllib.parse import urlsplit  # start-up: see _PLAIN_URL

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:  # e.g. an unclosed '[' of an IPv6 address
        raise UsageError(
            f"{variable}={url!r} is not a URL genesis can read", hint=f"fix or unset {variable}"
        ) from None
    return parts.scheme, parts.hostname


def check_service_url(url: str, variable: str) -> str:
    """``url`` (from ``variable``) without its trailing '/'; refused when its host could be
    read two ways (userinfo has an '@') or it is plain http off loopback (credentials in clear)."""
    if ambiguous_url(url):
        raise UsageError(
            f"{variable} holds a backslash, '@', a space, a control or a non-ASCII character; "
            "genesis does not guess which host that means",
            hint=f"set {variable} to a plain https://host/path URL, or unset it",
        )
    scheme, hostname = _scheme_and_host(url, variable)
    if scheme not in ("https", "http") or not hostname:
        raise UsageError(
            f"{variable}={url!r} is not an http(s) URL", hint=f"fix or unset {variable}"
        )
    if scheme == "http" and not loopback(hostname):
        raise UsageError(
            f"{variable} uses plain http to {hostname}: credentials would travel unencrypted",
            hint=f"use https, or unset {variable}",
        )
    return url.rstrip("/")
