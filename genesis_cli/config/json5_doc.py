"""A JSON5 reader that remembers where every value sits in the text.

The config is edited as text, so that comments, trailing commas, quoting and layout outside
the changed values stay exactly as the user wrote them. That needs the span of each value,
which general JSON5 libraries do not expose. This module parses JSON5 (https://spec.json5.org)
into plain Python values plus a tree of spans; ``json5_edit`` uses the spans to splice.
The tests compare it with the ``json5`` package, the reference implementation.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any


def where(text: str, pos: int) -> tuple[int, int]:
    """The line and column of ``text[pos]``, both counted from 1."""
    return text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)


class JSON5Error(ValueError):
    def __init__(self, message: str, text: str, pos: int) -> None:
        self.line, self.column = where(text, pos)
        self.pos = pos
        self.reason = message
        super().__init__(f"line {self.line}, column {self.column}: {message}")


@dataclass(slots=True)
class Node:
    """Where a value sits: ``text[start:end]`` is its source."""

    start: int
    end: int


@dataclass(slots=True)
class Member:
    key: str
    key_start: int
    value: Node
    comma: int | None = None  # position of the comma after the value, if any


@dataclass(slots=True)
class ObjectNode(Node):
    members: list[Member] = field(default_factory=list)
    trailing_comma: bool = False

    def member(self, key: str) -> Member | None:
        """The member a reader sees for ``key`` (the last one, as with duplicate keys)."""
        for member in reversed(self.members):
            if member.key == key:
                return member
        return None


@dataclass(slots=True)
class ArrayNode(Node):
    items: list[Node] = field(default_factory=list)
    trailing_comma: bool = False
    commas: list[int | None] = field(default_factory=list)  # the comma after each item


# Whitespace per JSON5: ECMAScript white space and line terminators, plus comments.
_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_SKIP = re.compile(rf"(?:[{_SPACE}]+|//[^\n\r\u2028\u2029]*|/\*.*?\*/)*", re.S)
_SKIP_FIRST = re.compile(rf"[{_SPACE}/]")
_NUMBER = re.compile(
    r"[+-]?(?:Infinity|NaN|0[xX][0-9a-fA-F]+"
    r"|(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
)
_IDENT = re.compile(r"(?:[^\W\d]|[$\\])(?:[\w$\u200c\u200d]|\\u[0-9a-fA-F]{4})*")
_IDENT_CHAR = re.compile(r"[\w$]")
# Possessive (``++``, ``*+``): runs of plain characters at once, and never a backtrack.
_STRING = {
    '"': re.compile(r'"((?:[^"\\\n\r]++|\\(?:\r\n|[\s\S]))*+)"'),
    "'": re.compile(r"'((?:[^'\\\n\r]++|\\(?:\r\n|[\s\S]))*+)'"),
}
_ESCAPE = re.compile(
    r"\\(u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"  # a UTF-16 surrogate pair
    r"|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])"
)
_SIMPLE_ESCAPES = dict(zip("bfnrtv0", "\b\f\n\r\t\v\0", strict=True))
# A backslash before a line terminator continues the line: both vanish.
_SIMPLE_ESCAPES.update(dict.fromkeys(("\n", "\r\n", "\r", "\u2028", "\u2029"), ""))
_LITERALS = {"true": True, "false": False, "null": None}
# The common member and item, read with one match: a plain key, and a string without escapes,
# a JSON number or a literal, ending where nothing could extend it. Anything else (escapes,
# comments, a line break before the value, hex, ``1.``) takes the general path.
_SCALAR = (
    r'("[^"\\\n\r]*"|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null)'
    r"(?=[\s,}\]/])"
)
_PLAIN_MEMBER = re.compile(
    r'(?:"([^"\\\n\r]*)"|([A-Za-z_$][\w$]*))[ \t]*:[ \t]*(?:' + _SCALAR + ")?"
)
_PLAIN_ITEM = re.compile(_SCALAR)
_PLAIN_SEPARATOR = re.compile(r"[ \t\n\r]*(,)?[ \t\n\r]*")
_MAX_DEPTH = 200
_MAX_DIGITS = 4000  # Python refuses to convert longer integers (and nothing sane has them)


def _unescape(body: str, text: str, pos: int) -> str:
    if "\\" not in body:
        return body

    def replace(match: re.Match[str]) -> str:
        esc = match.group(1)
        if len(esc) == 11:
            high, low = int(esc[1:5], 16), int(esc[7:11], 16)
            return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
        if esc[0] in "ux" and len(esc) > 1:
            return chr(int(esc[1:], 16))
        if esc in ("u", "x") or (esc.isdigit() and esc != "0"):
            raise JSON5Error(f"invalid escape \\{esc}", text, pos + match.start())
        if esc == "0" and body[match.end() : match.end() + 1].isdigit():
            raise JSON5Error("invalid escape \\0 followed by a digit", text, pos + match.start())
        return _SIMPLE_ESCAPES.get(esc, esc)

    result = _ESCAPE.sub(replace, body)
    try:
        result.encode("utf-8")
    except UnicodeEncodeError:
        # an escaped lone UTF-16 surrogate (\ud800): nothing can write it back as UTF-8
        raise JSON5Error("a string holds a lone UTF-16 surrogate (\\udXXX)", text, pos) from None
    return result


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text

    def error(self, message: str, pos: int) -> JSON5Error:
        return JSON5Error(message, self.text, pos)

    def skip(self, pos: int) -> int:
        if not _SKIP_FIRST.match(self.text, pos):
            return pos  # the common case, checked cheaply: nothing to skip
        pos = _SKIP.match(self.text, pos).end()  # type: ignore[union-attr]
        if self.text.startswith("/*", pos):
            raise self.error("unterminated /* comment", pos)
        return pos

    def after_value(self, pos: int) -> tuple[int, int | None]:
        """Past the space, comma and space after a value: where the next thing starts, and
        where the comma is (``None`` when there is none)."""
        plain = _PLAIN_SEPARATOR.match(self.text, pos)
        if plain and not _SKIP_FIRST.match(self.text, plain.end()):
            return plain.end(), plain.start(1) if plain.group(1) else None
        pos = self.skip(pos)  # a comment, or a space other than the plain ones
        if self.text.startswith(",", pos):
            return self.skip(pos + 1), pos
        return pos, None

    def unexpected(self, pos: int) -> JSON5Error:
        if pos >= len(self.text):
            return self.error("unexpected end of file", pos)
        return self.error(f"unexpected {self.text[pos]!r}", pos)

    def value(self, pos: int, depth: int) -> tuple[Any, Node, int]:
        text = self.text
        if depth > _MAX_DEPTH:
            raise self.error("nested too deeply", pos)
        char = text[pos : pos + 1]
        if char == "{":
            return self.object(pos, depth)
        if char == "[":
            return self.array(pos, depth)
        if char in _STRING:
            value, end = self.string(pos)
            return value, Node(pos, end), end
        match = _NUMBER.match(text, pos)
        if match:
            end = match.end()
            if _IDENT_CHAR.match(text, end):
                raise self.unexpected(end)
            if end - pos > _MAX_DIGITS:
                raise self.error(f"a number of more than {_MAX_DIGITS} digits", pos)
            return _number(match.group()), Node(pos, end), end
        match = _IDENT.match(text, pos)
        if match and match.group() in _LITERALS:
            return _LITERALS[match.group()], Node(pos, match.end()), match.end()
        raise self.unexpected(pos)

    def string(self, pos: int) -> tuple[str, int]:
        match = _STRING[self.text[pos]].match(self.text, pos)
        if not match:
            raise self.error("unterminated string", pos)
        return _unescape(match.group(1), self.text, pos + 1), match.end()

    def key(self, pos: int) -> tuple[str, int]:
        if self.text[pos : pos + 1] in _STRING:
            return self.string(pos)
        match = _IDENT.match(self.text, pos)
        if not match:
            raise self.unexpected(pos)
        name = match.group()
        if "\\" in name:
            name = _unescape(name, self.text, pos)
        return name, match.end()

    def object(self, start: int, depth: int) -> tuple[dict[str, Any], ObjectNode, int]:
        text = self.text
        result: dict[str, Any] = {}
        node = ObjectNode(start, start)
        pos = self.skip(start + 1)
        plain = _PLAIN_MEMBER.match if depth < _MAX_DEPTH else _no_match
        while text[pos : pos + 1] != "}":
            key_start = pos
            match = plain(text, pos)
            if match:  # a plain key: its value is plain too, or read by the general path
                key = match.group(1) if match.group(1) is not None else match.group(2)
                token = _plain_value(match.group(3)) if match.group(3) else None
                if token is not None:
                    value, pos = token[0], match.end()
                    value_node = Node(match.start(3), pos)
                else:
                    pos = self.skip(match.start(3) if match.group(3) else match.end())
                    value, value_node, pos = self.value(pos, depth + 1)
            else:
                key, pos = self.key(pos)
                pos = self.skip(pos)
                if text[pos : pos + 1] != ":":
                    raise self.error("expected ':' after the key", pos)
                pos = self.skip(pos + 1)
                value, value_node, pos = self.value(pos, depth + 1)
            result[key] = value
            pos, comma = self.after_value(pos)
            node.members.append(Member(key, key_start, value_node, comma))
            if comma is not None:
                node.trailing_comma = text[pos : pos + 1] == "}"
            elif text[pos : pos + 1] != "}":
                raise (
                    self.error("expected ',' or '}'", pos)
                    if pos < len(text)
                    else self.unexpected(pos)
                )
        node.end = pos + 1
        return result, node, pos + 1

    def array(self, start: int, depth: int) -> tuple[list[Any], ArrayNode, int]:
        text = self.text
        result: list[Any] = []
        node = ArrayNode(start, start)
        pos = self.skip(start + 1)
        plain = _PLAIN_ITEM.match if depth < _MAX_DEPTH else _no_match
        while text[pos : pos + 1] != "]":
            match = plain(text, pos)
            if match and (token := _plain_value(match.group(1))) is not None:
                value, value_node, pos = token[0], Node(pos, match.end()), match.end()
            else:
                value, value_node, pos = self.value(pos, depth + 1)
            result.append(value)
            node.items.append(value_node)
            pos, comma = self.after_value(pos)
            node.commas.append(comma)
            if comma is not None:
                node.trailing_comma = text[pos : pos + 1] == "]"
            elif text[pos : pos + 1] != "]":
                raise (
                    self.error("expected ',' or ']'", pos)
                    if pos < len(text)
                    else self.unexpected(pos)
                )
        node.end = pos + 1
        return result, node, pos + 1


def _no_match(text: str, pos: int) -> None:
    return None  # nested too deeply for the plain path: the general one says so


def _plain_value(token: str) -> tuple[Any] | None:
    """The value of a scalar ``_SCALAR`` matched (in a 1-tuple: it may be ``None``), or
    ``None`` for a number too long, which the general path refuses."""
    if token[0] == '"':
        return (token[1:-1],)
    if token in _LITERALS:
        return (_LITERALS[token],)
    if len(token) > _MAX_DIGITS:
        return None
    return (_number(token),)


def _number(token: str) -> int | float:
    sign = -1 if token[0] == "-" else 1
    body = token.lstrip("+-")
    if body == "Infinity":
        return sign * math.inf
    if body == "NaN":
        return math.nan
    if body[:2] in ("0x", "0X"):
        return sign * int(body, 16)
    if any(c in body for c in ".eE"):
        return sign * float(body)
    return sign * int(body)


def parse(text: str) -> tuple[Any, Node]:
    """Parse a JSON5 document; return its value and the span tree. Raises ``JSON5Error``."""
    parser = _Parser(text)
    pos = parser.skip(0)
    try:
        value, node, pos = parser.value(pos, 0)
    except RecursionError:
        raise parser.error("nested too deeply", pos) from None
    pos = parser.skip(pos)
    if pos != len(text):
        raise parser.unexpected(pos)
    return value, node


def loads(text: str) -> Any:
    return parse(text)[0]
