"""Plain records passed between layers. No I/O here."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Literal

CatalogSource = Literal["live", "cache", "bundled"]


@dataclass(frozen=True)
class Cost:
    """USD per 1M tokens; ``None`` where the provider did not say."""

    input: float | None = None
    output: float | None = None
    cache_read: float | None = None

    def to_dict(self) -> dict[str, float | None]:
        return {"input": self.input, "output": self.output, "cacheRead": self.cache_read}


@dataclass(frozen=True)
class Model:
    id: str
    context_window: int
    max_tokens: int
    input: tuple[str, ...] = ("text",)
    reasoning: bool = False
    confidential: bool = False
    cost: Cost = field(default_factory=Cost)
    tools: bool = False
    structured_outputs: bool = False
    deployment_id: str | None = None  # where its attestation evidence is filed

    def to_dict(self) -> dict[str, Any]:
        """genesis's own shape: the bundled catalog, the cache and ``models list --json``.

        The config holds a narrower, OpenClaw-shaped entry (``flows.register.config_entry``).
        """
        return {
            "id": self.id,
            "contextWindow": self.context_window,
            "maxTokens": self.max_tokens,
            "input": list(self.input),
            "reasoning": self.reasoning,
            "tools": self.tools,
            "structuredOutputs": self.structured_outputs,
            "confidential": self.confidential,
            "chuteId": self.deployment_id,
            "cost": self.cost.to_dict(),
        }


@dataclass
class Catalog:
    provider: str
    source: CatalogSource
    models: list[Model]
    fetched_at: float | None = None
    # Why the bundled catalog is in use (no credential, offline, or what failed).
    reason: str | None = None
    # True when a live attempt failed and the bundled catalog stands in for it.
    fell_back: bool = False
    warnings: list[str] = field(default_factory=list)

    def ids(self) -> set[str]:
        return {m.id for m in self.models}


@dataclass(frozen=True)
class Credential:
    """A credential in force at run time. ``secret`` never leaves the process unmasked."""

    source: str  # "env:<NAME>" (say env:CHUTES_API_KEY) or "profile"
    type: Literal["api_key", "oauth", "token"]
    secret: str
    profile: str | None = None
    expires_at: int | None = None

    def __repr__(self) -> str:  # keep the secret out of tracebacks and logs
        return f"Credential(source={self.source!r}, type={self.type!r}, profile={self.profile!r})"


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
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, "[redacted]")
    if prefixes:
        text = _token_like(prefixes).sub(lambda m: f"{m.group(1)}_[redacted]", text)
    return one_line(text)[:limit]


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
