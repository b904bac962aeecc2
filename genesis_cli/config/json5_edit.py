"""Change a JSON5 document by splicing its text: ``apply(text, new)`` reads as ``new``, and
only changed values, added and removed members differ from ``text``. Comments, layout, key
order and quotes elsewhere stay byte for byte; new text follows the file's own style."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from genesis_cli.config.json5_doc import Container, Member, Node, parse

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")
_INLINE_LIMIT = 72
# Past the spaces and the comments that stay on a line.
_LINE_REST = re.compile(r"(?:[ \t]+|/\*[^\n]*?\*/)*+(?://[^\r\n]*)?")
_BLANKS = re.compile(r"[ \t]*")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*+"(\s*:)?')
_ONE_LINE_JSON = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
Edits = list[tuple[int, int, str]]  # replace text[start:end] with this


@dataclass(frozen=True)
class Style:
    indent: str = "  "
    quote: str = '"'
    quote_keys: bool = False
    trailing_commas: bool = True
    newline: str = "\n"


def same(a: Any, b: Any) -> bool:
    """Deep equality that tells ``true`` from ``1`` and treats NaN as equal to itself."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _quote(text: str, quote: str) -> str:
    body = json.dumps(text, ensure_ascii=False)[1:-1]
    body = body.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    if quote == "'":
        body = body.replace('\\"', '"').replace("'", "\\'")
    return quote + body + quote


def _key(key: str, style: Style) -> str:
    return key if _IDENTIFIER.match(key) and not style.quote_keys else _quote(key, style.quote)


def _inline(value: Any, style: Style) -> str:
    if isinstance(value, dict):
        inner = ", ".join(f"{_key(k, style)}: {_inline(v, style)}" for k, v in value.items())
        return "{ " + inner + " }" if value else "{}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v, style) for v in value) + "]"
    if isinstance(value, str):
        return _quote(value, style.quote)
    return json.dumps(value)  # true, null, a number, NaN or Infinity; TypeError for the rest


def _flat(value: Any) -> bool:
    """A scalar, or a list of scalars: what may sit inside a one-line object."""
    if isinstance(value, list):
        return not any(isinstance(v, dict | list) for v in value)
    return not isinstance(value, dict)


def block(value: Any, style: Style, base: str) -> str:
    """``value`` written where the line is indented by ``base``: small flat objects and arrays
    on one line, others one member per line; an array of objects (the model list) one object
    per line, in plain JSON (valid JSON5)."""
    if not isinstance(value, dict | list) or not value:
        return _inline(value, style)
    inner, nl = base + style.indent, style.newline
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        lines = [inner + _ONE_LINE_JSON(v) for v in value]
    elif (
        all(map(_flat, value.values() if isinstance(value, dict) else [value]))
        and len(flat := _inline(value, style)) <= _INLINE_LIMIT
    ):
        return flat
    elif isinstance(value, dict):
        lines = [f"{inner}{_key(k, style)}: {block(v, style, inner)}" for k, v in value.items()]
    else:
        lines = [inner + block(v, style, inner) for v in value]
    ends = "{}" if isinstance(value, dict) else "[]"
    tail = "," if style.trailing_commas else ""
    return ends[0] + nl + ("," + nl).join(lines) + tail + nl + base + ends[1]


def dumps(value: dict[str, Any]) -> str:
    """A new document (no file yet)."""
    return block(value, Style(), "") + "\n"


def detect_style(text: str, root: Node) -> Style:
    """What the file does, the majority winning: quotes, bare or quoted keys, a trailing comma
    in multi-line objects, its indentation and line ends."""
    indents = re.findall(r"^([ \t]+)\S", text, re.M)
    indent = "  " if not indents else " " * min(min(len(i) for i in indents), 8)
    if any(i.startswith("\t") for i in indents):
        indent = "\t"
    quotes = {"'": 0, '"': 0}
    keys = [0, 0]  # bare, quoted
    commas = [0, 0]  # multi-line objects without, with a trailing comma
    stack = [root]
    while stack:
        node = stack.pop()
        if (
            isinstance(node, Container)
            and node.read is None
            and text.find("\n", node.start, node.end) < 0
        ):
            # one line of plain JSON (a model entry): counted without reading it
            for string in _JSON_STRING.finditer(text, node.start, node.end):
                keys[1] += string.group(1) is not None
                quotes['"'] += string.group(1) is None
        elif isinstance(node, Container):
            for member in node.members:
                keys[text[member.start] in "\"'"] += member.key is not None
                stack.append(member.value)
            if (
                text[node.start] == "{"
                and node.members
                and text.find("\n", node.start, node.end) >= 0
            ):
                commas[node.trailing_comma] += 1
        elif text[node.start] in quotes:
            quotes[text[node.start]] += 1
    return Style(
        indent=indent,
        quote="'" if quotes["'"] > quotes['"'] else '"',
        quote_keys=keys[1] > 0 and keys[0] == 0,
        trailing_commas=commas[1] >= commas[0],
        newline="\r\n" if "\r\n" in text else "\n",
    )


def _line(text: str, pos: int) -> tuple[int, str, bool]:
    """The start of ``pos``'s line, its indentation and whether only that precedes ``pos``."""
    start = text.rfind("\n", 0, pos) + 1
    before = text[start:pos]
    indent = before[: len(before) - len(before.lstrip(" \t"))]
    return start, indent, indent == before


def _line_end(text: str, pos: int) -> int:
    """Where ``pos``'s line ends if only spaces and comments follow ``pos`` on it, else -1."""
    stop = _LINE_REST.match(text, pos).end()  # type: ignore[union-attr]
    return stop if stop == len(text) or text[stop] in "\r\n" else -1


def _entry(key: str | None, value: Any, style: Style, indent: str | None = None) -> str:
    """A member (``key: value``) or an array item (``key`` None): after ``indent`` on its own
    line, or inline when ``indent`` is None."""
    head = "" if key is None else _key(key, style) + ": "
    return head + (_inline(value, style) if indent is None else block(value, style, indent))


def _add_after(
    text: str, last: Member, trailing: bool, items: list[tuple[str | None, Any]], style: Style,
    edits: Edits,
) -> None:  # fmt: skip
    """Insert ``items`` after ``last``: one per line in its indentation when it stands on its
    own line, else inline after it."""
    stop = _line_end(text, last.value.end if last.comma is None else last.comma + 1)
    _, indent, alone = _line(text, last.start)
    if alone and stop >= 0:
        nl = style.newline
        lines = [indent + _entry(k, v, style, indent) for k, v in items]
        if last.comma is None:
            edits.append((last.value.end, last.value.end, ","))
        edits.append((stop, stop, nl + ("," + nl).join(lines) + ("," if trailing else "")))
        return
    inline = ", ".join(_entry(k, v, style) for k, v in items)
    if last.comma is None:
        edits.append((last.value.end, last.value.end, ", " + inline))
    else:
        edits.append((last.comma + 1, last.comma + 1, " " + inline + ","))


def _insert(text: str, node: Container, items: dict[str, Any], style: Style, edits: Edits) -> None:
    if node.members:
        _add_after(text, node.members[-1], node.trailing_comma, [*items.items()], style, edits)
    elif not text[node.start + 1 : node.end - 1].strip():
        edits.append((node.start, node.end, block(items, style, _line(text, node.start)[1])))
    else:  # an object holding only comments
        start, indent, alone = _line(text, node.end - 1)
        if alone:
            inner, nl = indent + style.indent, style.newline
            lines = [inner + _entry(k, v, style, inner) for k, v in items.items()]
            tail = "," if style.trailing_commas else ""
            edits.append((start, start, ("," + nl).join(lines) + tail + nl))
        else:
            inline = ", ".join(_entry(k, v, style) for k, v in items.items())
            edits.append((node.end - 1, node.end - 1, " " + inline + " "))


def _delete(text: str, member: Member, edits: Edits) -> None:
    """Remove a member or an item with its comma: its whole line when it stands alone on one."""
    end = member.value.end if member.comma is None else member.comma + 1
    stop = _line_end(text, end)
    start, _, alone = _line(text, member.start)
    if alone and stop >= 0:
        newline = text.find("\n", stop)
        edits.append((start, len(text) if newline < 0 else newline + 1, ""))
    else:
        edits.append((member.start, _BLANKS.match(text, end).end(), ""))  # type: ignore[union-attr]


def _item_key(value: Any) -> str | None:
    """How an array item is matched across an edit: a model entry by its ``id``."""
    key = value.get("id") if isinstance(value, dict) else None
    return key if isinstance(key, str) else None


def _patch_list(
    text: str, node: Container, old: list[Any], new: list[Any], style: Style, edits: Edits
) -> bool:
    """Edit the array item by item when ``new`` is ``old`` with items changed in place
    (matched by ``id``, else by position), some removed and some appended at the end.
    Returns False, having recorded nothing, when it is not of that shape."""
    keys = [_item_key(v) for v in old]
    where = {key: index for index, key in enumerate(keys) if key is not None}
    if len(where) != len(keys) - keys.count(None):
        return False  # duplicate ids: rewrite the array whole
    plan: list[tuple[int, Any]] = []  # (old index, new value) pairs patched in place
    appended: list[tuple[str | None, Any]] = []
    j = 0
    for value in new:
        key = _item_key(value)
        # the old item it replaces: the one with its id, else the next one if neither has one
        k = where.get(key, -1) if key is not None else j if j < len(old) and keys[j] is None else -1
        if k >= j and not appended:
            plan.append((k, value))
            j = k + 1
        elif k >= j and key is not None:
            return False  # an old item would move past an appended one
        else:
            appended.append((None, value))
    if not plan:
        return False  # nothing to anchor on
    kept = {k for k, _ in plan}
    for k, value in plan:
        _patch(text, node.members[k].value, old[k], value, style, edits)
    for index, member in enumerate(node.members):
        if index not in kept:
            _delete(text, member, edits)
    if appended:
        _add_after(text, node.members[max(kept)], node.trailing_comma, appended, style, edits)
    return True


def _patch(text: str, node: Node, old: Any, new: Any, style: Style, edits: Edits) -> None:
    if same(old, new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        assert isinstance(node, Container)
        removed = [m for m in node.members if m.key not in new]
        added = {k: v for k, v in new.items() if k not in old}
        # Both at once may touch one line: then the object is rewritten whole (genesis's own
        # edits only add or only remove within one object).
        if not (removed and added):
            for member in removed:
                _delete(text, member, edits)
            for key, value in new.items():
                if key in old:
                    _patch(text, node.member(key).value, old[key], value, style, edits)  # type: ignore[union-attr]
            if added:
                _insert(text, node, added, style, edits)
            return
    elif isinstance(old, list) and isinstance(new, list) and old:
        assert isinstance(node, Container)
        if _patch_list(text, node, old, new, style, edits):
            return
    edits.append((node.start, node.end, block(new, style, _line(text, node.start)[1])))


def apply(text: str, new: Any, parsed: tuple[Any, Node | None] | None = None) -> str:
    """``text`` changed so that it reads as ``new``, with the fewest edits to the text.
    ``parsed``: ``text`` already parsed (its value and position tree)."""
    if not text.strip():
        return dumps(new)
    old, root = parsed or parse(text)
    assert root is not None  # text that is not blank has a tree
    edits: Edits = []
    _patch(text, root, old, new, detect_style(text, root), edits)
    pieces: list[str] = []
    pos = 0
    # In order of position; at one position, in the order recorded (sorted() is stable).
    for start, end, insert in sorted(edits, key=lambda edit: edit[:2]):
        if start < pos:
            raise AssertionError("overlapping config edits")  # a bug, never user input
        pieces += [text[pos:start], insert]
        pos = end
    return "".join(pieces) + text[pos:]
