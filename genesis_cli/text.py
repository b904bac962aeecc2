"""Text from outside made safe to print, log or send: terminal sanitising, redaction, masking;
and how wide the terminal is."""

from __future__ import annotations

import functools
import os
import re
import sys

_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+\Z")
# What a model id, an alias or a profile id may hold to reach a shell line (completion): every
# real id fits (vendor/Name-1.5:tag@rev+x), and none of it is shell or terminal syntax.
_SHELL_WORD = re.compile(r"[A-Za-z0-9._:/@+-]+\Z")
# Terminal escape sequences, whole: CSI, OSC (up to BEL or ST: OSC 8 links, OSC 52 clipboard
# writes), DCS/SOS/PM/APC strings, short ESC forms; an unterminated one ends with its line.
# Compiled (and cached by ``re``) on first use: most output never needs it (start-up).
_ESCAPE_SEQUENCE = (
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)


def sendable(secret: str) -> bool:
    """Fit for an HTTP header and, quoted, a shell line: printable ASCII, no whitespace (nor
    the ``…`` of a copied masked ``cpk_…wxyz``). Every secret passes it before use or storage."""
    return bool(_PRINTABLE_ASCII.match(secret))


def shell_word(text: str) -> bool:
    """``text`` is made only of ``[A-Za-z0-9._:/@+-]`` (and is not empty)."""
    return bool(_SHELL_WORD.match(text))


@functools.cache
def _token_like(prefixes: tuple[str, ...]) -> re.Pattern[str]:
    words = "|".join(re.escape(p) for p in prefixes)
    return re.compile(rf"\b({words})_[A-Za-z0-9._~+/=-]{{6,}}")


def unsecret(text: str, secrets: tuple[str | None, ...], prefixes: tuple[str, ...]) -> str:
    """``text`` with each known secret and each word shaped like a key or token of the provider
    (``prefixes``: ``cpk`` for ``cpk_...``) replaced, nothing else changed (lines kept)."""
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, "[redacted]")
    if prefixes:
        text = _token_like(prefixes).sub(lambda m: f"{m.group(1)}_[redacted]", text)
    return text


def redact(
    text: str, secrets: tuple[str | None, ...], prefixes: tuple[str, ...], limit: int = 300
) -> str:
    """``unsecret`` text on one line, cut to ``limit``: in that order, as a secret cut short
    first would no longer match and be shown less its tail."""
    return one_line(unsecret(text, secrets, prefixes))[:limit]


def mask(secret: str | None) -> str | None:
    """``cpk_…wxyz``: the prefix up to the first underscore and the last four characters."""
    if not secret:
        return None
    prefix, sep, _ = secret.partition("_")
    head = prefix + sep if sep and len(prefix) <= 4 else ""
    return head + "…" if len(secret) < 12 else f"{head}…{secret[-4:]}"


def terminal_safe(text: str) -> str:
    """``text`` as a terminal may receive it (``cli.ui`` passes all output through it): escape
    sequences removed whole, then every character Python does not call printable (controls,
    DEL, bidi overrides, lone surrogates) but newlines; other whitespace becomes a space."""
    if text.replace("\n", "").isprintable():
        return text
    text = re.sub(_ESCAPE_SEQUENCE, "", text)
    return "".join(
        ch if ch == "\n" or ch.isprintable() else " " if ch.isspace() else "" for ch in text
    )


def one_line(text: str) -> str:
    """``terminal_safe`` text on one line, runs of whitespace made one space."""
    return " ".join(terminal_safe(text).split())


def terminal_columns() -> int:
    """``shutil.get_terminal_size().columns`` without shutil (~2 ms of ``--help``)."""
    try:
        columns = int(os.environ.get("COLUMNS", 0))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80
