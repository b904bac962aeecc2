"""Text from outside made safe to print, log or send: terminal sanitising, redaction, masking."""

from __future__ import annotations

import functools
import re

_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+\Z")


def sendable(secret: str) -> bool:
    """A secret genesis can put in an HTTP header and, quoted, in a shell line: printable
    ASCII without whitespace, no control character, newline or ``…`` (as in a copied masked
    ``cpk_…wxyz``). Every key, token and client secret passes it before it is used or stored."""
    return bool(_PRINTABLE_ASCII.match(secret))


@functools.cache
def _token_like(prefixes: tuple[str, ...]) -> re.Pattern[str]:
    words = "|".join(re.escape(p) for p in prefixes)
    return re.compile(rf"\b({words})_[A-Za-z0-9._~+/=-]{{6,}}")


def redact(
    text: str, secrets: tuple[str | None, ...], prefixes: tuple[str, ...], limit: int = 300
) -> str:
    """``text`` (say, a server's error body) with every known secret, and anything shaped
    like a key or token of the provider (``prefixes``: ``cpk`` for ``cpk_...``), replaced;
    then made one line and cut to ``limit`` characters. In that order: a secret cut short
    first would no longer match and be shown less its tail."""
    return one_line(unsecret(text, secrets, prefixes))[:limit]


def unsecret(text: str, secrets: tuple[str | None, ...], prefixes: tuple[str, ...]) -> str:
    """``text`` with every known secret and every word shaped like a key or token of the
    provider replaced, nothing else changed (lines kept: for a traceback)."""
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, "[redacted]")
    if prefixes:
        text = _token_like(prefixes).sub(lambda m: f"{m.group(1)}_[redacted]", text)
    return text


def mask(secret: str | None) -> str | None:
    """``cpk_…wxyz``: the prefix up to the first underscore and the last four characters."""
    if not secret:
        return None
    prefix, sep, _ = secret.partition("_")
    head = prefix + sep if sep and len(prefix) <= 4 else ""
    if len(secret) < 12:
        return head + "…"
    return f"{head}…{secret[-4:]}"


# Terminal escape sequences, whole: CSI (ESC [ or C1 CSI), OSC (ESC ] or C1 OSC, up to BEL or
# ST: OSC 8 links and OSC 52 clipboard writes among them), DCS/SOS/PM/APC strings, and the
# short ESC forms. An unterminated string ends at the end of its line.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)


def terminal_safe(text: str) -> str:
    """``text`` as a terminal may receive it: the one function every string genesis did not
    write itself passes before it is printed (``cli.ui`` calls it on all output).

    Escape sequences are removed whole; then every character Python does not call printable
    goes too (C0 and C1 controls, DEL, bidi overrides and isolates, lone surrogates), except
    newlines; other whitespace controls (tab, CR, NEL) become a space.
    """
    if text.replace("\n", "").isprintable():
        return text
    text = _ESCAPE_SEQUENCE.sub("", text)
    return "".join(
        ch if ch == "\n" or ch.isprintable() else " " if ch.isspace() else "" for ch in text
    )


def one_line(text: str) -> str:
    """``terminal_safe`` text on one line, runs of whitespace made one space."""
    return " ".join(terminal_safe(text).split())


# What a model id, an alias or a profile id may hold to reach a shell line (completion): every
# real id fits (vendor/Name-1.5:tag@rev+x), and none of it is shell or terminal syntax.
_SHELL_WORD = re.compile(r"[A-Za-z0-9._:/@+-]+\Z")


def shell_word(text: str) -> bool:
    """``text`` is made only of ``[A-Za-z0-9._:/@+-]`` (and is not empty)."""
    return bool(_SHELL_WORD.match(text))
