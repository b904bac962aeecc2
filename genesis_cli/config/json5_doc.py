"""A JSON5 reader (https://spec.json5.org) that also returns where every value sits, so that
``json5_edit`` can splice the text; general JSON5 libraries do not expose spans. The tests
compare it with the ``json5`` package, the reference implementation."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any


def where(text: str, pos: int) -> tuple[int, int]:
    """The line and column of ``text[pos]``, both counted from 1."""
    return text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)


class JSON5Error(ValueError):
    def __init__(self, message: str, text: str, pos: int) -> None:
        self.line, self.column = where(text, pos)
        super().__init__(f"line {self.line}, column {self.column}: {message}")


@dataclass(slots=True)
class Node:
    """Where a value sits: ``text[start:end]`` is its source."""

    start: int
    end: int


@dataclass(slots=True)
class Member:
    """A member of an object (``key``, which starts at ``start``) or an item of an array
    (``key`` None, ``start`` where its value does)."""

    key: str | None
    start: int
    value: Node
    comma: int | None  # where the comma after the value is, if there is one


@dataclass(slots=True)
class Container(Node):
    """An object or an array (``text[start]`` tells). One the stdlib's JSON scanner read whole
    has its members read (with their spans) when first asked for."""

    text: str = field(repr=False)
    read: list[Member] | None
    trailing_comma: bool = False

    @property
    def members(self) -> list[Member]:
        if self.read is None:
            node = _read(self.text, self.start, -1)[1]  # all of it: the editor walks it all
            self.read = node.members  # type: ignore[attr-defined]
        return self.read

    def member(self, key: str) -> Member | None:
        """The member a reader sees for ``key`` (the last one, as with duplicate keys)."""
        for member in reversed(self.members):
            if member.key == key:
                return member
        return None


_MAX_DEPTH = 200  # what is read is walked recursively later
_MAX_DIGITS = 4000  # Python refuses to convert longer integers (and nothing sane has them)
# Space per JSON5: ECMAScript white space and line terminators, and comments.
_WS = (
    r"(?:[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]++"
    r"|//[^\n\r\u2028\u2029]*+|/\*[\s\S]*?\*/)*+"
)
_NUMBER = (
    r"[+-]?(?:Infinity|NaN|0[xX][0-9a-fA-F]+"
    r"|(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
)
_IDENT = r"(?:[^\W\d]|\$|\\u[0-9a-fA-F]{4})(?:[\w$\u200c\u200d]|\\u[0-9a-fA-F]{4})*+"
# Possessive: runs of plain characters at once, and never a backtrack.
_STRING = r""""(?:[^"\\\n\r]++|\\(?:\r\n|[\s\S]))*+"|'(?:[^'\\\n\r]++|\\(?:\r\n|[\s\S]))*+'"""
# One match reads a value, with its key in an object, and a scalar's comma: the stdlib json
# reader's way, a compiled scanner rather than a loop over characters.
_SCALAR = rf"({_STRING})|((?>{_NUMBER}))(?![\w$])|(true|false|null)(?![\w$\\\u200c\u200d])"
_TOKEN = re.compile(
    rf"(?:({_STRING}|{_IDENT}){_WS}:{_WS})?(?:([{{[]){_WS}|(?:{_SCALAR}){_WS}(?P<comma>,)?{_WS})"
)
_AFTER = re.compile(rf"{_WS}(?P<comma>,)?{_WS}")
_SPACE = re.compile(_WS)
# What the stdlib's JSON scanner reads differently: an escaped UTF-16 surrogate, a long number.
_NOT_FOR_JSON = re.compile(rf"\\u[dD][89a-fA-F]|[-+.eE0-9]{{{_MAX_DIGITS + 1}}}")
_JSON = json.JSONDecoder()
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])")
# A backslash before a line terminator continues the line: both vanish.
_ESCAPES = dict(zip("bfnrtv0", "\b\f\n\r\t\v\0", strict=True))
_ESCAPES.update(dict.fromkeys(("\n", "\r\n", "\r", "\u2028", "\u2029"), ""))
_LITERALS = {"true": True, "false": False, "null": None}


def _string(token: str, text: str, pos: int) -> str:
    """A key or string ``token`` (at ``pos``) as the text it stands for."""
    if token[0] in "\"'":
        token, pos = token[1:-1], pos + 1
    if "\\" not in token:
        return token

    def replace(match: re.Match[str]) -> str:
        esc = match.group(1)
        if esc[0] in "ux" and len(esc) > 1:
            return chr(int(esc[1:], 16))
        if esc in ("u", "x") or (esc.isdigit() and esc != "0"):
            raise JSON5Error(f"invalid escape \\{esc}", text, pos + match.start())
        if esc == "0" and token[match.end() : match.end() + 1].isdigit():
            raise JSON5Error("invalid escape \\0 followed by a digit", text, pos + match.start())
        return _ESCAPES.get(esc, esc)

    try:  # joins escaped UTF-16 pairs; a lone half (\ud800) cannot be written back as UTF-8
        return _ESCAPE.sub(replace, token).encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        raise JSON5Error("a string holds a lone UTF-16 surrogate (\\udXXX)", text, pos) from None


def _number(token: str, text: str, pos: int) -> int | float:
    if len(token) > _MAX_DIGITS:
        raise JSON5Error(f"a number of more than {_MAX_DIGITS} digits", text, pos)
    if token.lstrip("+-")[:2] in ("0x", "0X"):
        return int(token, 16)
    if any(c in token for c in ".eEIN"):  # a fraction, an exponent, Infinity or NaN
        return float(token)
    return int(token)


def _error(text: str, pos: int, closer: str) -> JSON5Error:
    """Where and why the member (in an object) or the item at ``pos`` does not read. (Its
    patterns are compiled here, not at import: only a document that does not read needs them.)"""
    if closer == "}":
        key = re.compile(rf"(?:{_STRING}|{_IDENT}){_WS}").match(text, pos)
        if key is None:
            return _unexpected(text, pos, _unterminated(text, pos))
        if not text.startswith(":", key.end()):
            return _unexpected(text, key.end(), "expected ':' after the key")
        pos = _SPACE.match(text, key.end() + 1).end()  # type: ignore[union-attr]
    elif value := re.compile(rf"(?:{_SCALAR}){_WS}").match(text, pos):  # a value, then a colon
        expected = f"expected ',' or '{closer}'" if closer and value.end() < len(text) else None
        return _unexpected(text, value.end(), expected)
    if number := re.compile(_NUMBER).match(text, pos):  # running into a letter
        return _unexpected(text, number.end())
    return _unexpected(text, pos, _unterminated(text, pos))


def _unterminated(text: str, pos: int) -> str | None:
    return "unterminated string" if text[pos : pos + 1] in ("'", '"') else None


def _unexpected(text: str, pos: int, message: str | None = None) -> JSON5Error:
    if text.startswith("/*", pos):
        message = "unterminated /* comment"
    elif message is None:
        message = f"unexpected {text[pos]!r}" if pos < len(text) else "unexpected end of file"
    return JSON5Error(message, text, pos)


def parse(text: str) -> tuple[Any, Node]:
    """Parse a JSON5 document; return its value and the span tree. Raises ``JSON5Error``."""
    budget = -1 if _NOT_FOR_JSON.search(text) else len(text)
    value, node, pos, comma = _read(text, _SPACE.match(text).end(), budget)  # type: ignore[union-attr]
    if pos != len(text) or comma >= 0:
        raise _unexpected(text, comma if comma >= 0 else pos)
    return value, node


def _read(text: str, pos: int, budget: int) -> tuple[Any, Node, int, int]:
    """The value at ``pos``, its node, where the space after it ends and where the comma
    after it is (-1 if none). A container that is plain JSON is read by the stdlib's scanner
    while that has read no more than ``budget`` characters in vain."""
    # The open containers: value, node, and the key and start of their member in the parent.
    stack: list[tuple[Any, Container, str | None, int]] = []
    closer = ""
    node: Node
    while True:
        if closer and text.startswith(closer, pos):
            match = _AFTER.match(text, pos + 1)
            value, closed, key, at = stack.pop()
            closed.end = pos + 1
            closed.trailing_comma = bool(closed.members) and closed.members[-1].comma is not None
            node = closed
        else:
            match = _TOKEN.match(text, pos)
            if match is None or (match.group(1) is not None) != (closer == "}"):
                raise _error(text, pos, closer)
            name, opener, string, number, literal, _ = match.groups()
            key, at = (_string(name, text, pos) if name else None), pos
            if opener:
                start = match.start(2)
                end = -1
                if budget >= 0:
                    value, end, read = _json(text, start, _MAX_DEPTH - len(stack))
                    budget -= read - start if end < 0 else 0
                if end < 0:
                    if len(stack) >= _MAX_DEPTH:
                        raise JSON5Error("nested too deeply", text, start)
                    stack.append(
                        ({} if opener == "{" else [], Container(start, start, text, []), key, at)
                    )
                    closer, pos = "}" if opener == "{" else "]", match.end()
                    continue
                node, match = Container(start, end, text, None), _AFTER.match(text, end)
            elif string is not None:
                node = Node(*match.span(3))
                value = _string(string, text, node.start)
            elif number is not None:
                node = Node(*match.span(4))
                value = _number(number, text, node.start)
            else:
                node = Node(*match.span(5))
                value = _LITERALS[literal]
        assert match is not None  # the space after a value always matches
        comma = match.start("comma")
        pos = match.end()
        if not stack:
            return value, node, pos, comma
        container, parent = stack[-1][0], stack[-1][1]
        if key is None:
            container.append(value)
        else:
            container[key] = value
        parent.members.append(Member(key, at, node, comma if comma >= 0 else None))
        closer = "]" if key is None else "}"
        if comma < 0 and not text.startswith(closer, pos):
            expected = f"expected ',' or '{closer}'" if pos < len(text) else None
            raise _unexpected(text, pos, expected)


def _json(text: str, start: int, room: int) -> tuple[Any, int, int]:
    """The container at ``start`` read by the stdlib's JSON scanner: its value, its end and
    how far the scanner read (end -1 when it is not plain JSON or nests over ``room`` deep)."""
    try:
        value, end = _JSON.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        return None, -1, exc.pos
    except RecursionError:
        return None, -1, len(text)
    if text.count("{", start, end) + text.count("[", start, end) > room:
        level, depth = [value], 0  # count the levels
        while level := [c for c in level if isinstance(c, dict | list)]:
            level = [v for c in level for v in (c.values() if isinstance(c, dict) else c)]
            depth += 1
        if depth > room:
            return None, -1, end
    return value, end, end


def loads(text: str) -> Any:
    return parse(text)[0]
