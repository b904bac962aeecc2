"""Change a JSON5 document by splicing its text, so everything not changed stays as written.

``apply(text, old, new)`` turns the document ``text`` (whose value is ``old``) into one whose
value is ``new`` with the fewest edits: unchanged values are not touched, a changed value
has its own span replaced, new keys are inserted after the last member of their object in
the file's own indentation, quoting and comma style. Comments, blank lines, key order,
trailing commas and quote styles elsewhere survive byte for byte.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from genesis_cli.config.json5_doc import ArrayNode, Member, Node, ObjectNode, parse

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")
_INLINE_LIMIT = 72


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


# --- writing values ----------------------------------------------------------------------


def _quote(text: str, quote: str) -> str:
    body = json.dumps(text, ensure_ascii=False)[1:-1]
    body = body.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    if quote == "'":
        body = body.replace('\\"', '"').replace("'", "\\'")
    return quote + body + quote


def _key(key: str, style: Style) -> str:
    if _IDENTIFIER.match(key) and not style.quote_keys:
        return key
    return _quote(key, style.quote)


def _scalar(value: Any, style: Style) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return _quote(value, style.quote)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    raise TypeError(f"cannot write a {type(value).__name__} to the config")


def _inline(value: Any, style: Style) -> str:
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = ", ".join(f"{_key(k, style)}: {_inline(v, style)}" for k, v in value.items())
        return "{ " + inner + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v, style) for v in value) + "]"
    return _scalar(value, style)


def _flat(value: Any) -> bool:
    """A scalar, or a list of scalars: what may sit inside a one-line object."""
    if isinstance(value, list):
        return all(not isinstance(v, dict | list) for v in value)
    return not isinstance(value, dict)


def block(value: Any, style: Style, base: str) -> str:
    """``value`` written at a position whose line is indented by ``base``.

    Small flat objects and arrays stay on one line; others get one member per line. Arrays
    of objects (the model list) get one object per line in plain JSON syntax (valid JSON5).
    """
    if not isinstance(value, dict | list) or not value:
        return _inline(value, style)
    inner = base + style.indent
    nl = style.newline
    tail = "," if style.trailing_commas else ""
    if isinstance(value, list):
        if all(isinstance(v, dict) for v in value):
            lines = [
                inner + json.dumps(v, ensure_ascii=False, separators=(", ", ": ")) for v in value
            ]
        else:
            # Only flat values may go on one line.
            if _flat(value) and len(flat := _inline(value, style)) <= _INLINE_LIMIT:
                return flat
            lines = [inner + block(v, style, inner) for v in value]
        return "[" + nl + ("," + nl).join(lines) + tail + nl + base + "]"
    if (
        all(_flat(v) for v in value.values())
        and len(flat := _inline(value, style)) <= _INLINE_LIMIT
    ):
        return flat
    lines = [f"{inner}{_key(k, style)}: {block(v, style, inner)}" for k, v in value.items()]
    return "{" + nl + ("," + nl).join(lines) + tail + nl + base + "}"


def dumps(value: dict[str, Any], style: Style | None = None) -> str:
    """A new document (no file yet)."""
    style = style or Style()
    return block(value, style, "") + style.newline


# --- reading the file's style ------------------------------------------------------------


def detect_style(text: str, root: Node) -> Style:
    newline = "\r\n" if "\r\n" in text else "\n"
    indents = [m.group(1) for m in re.finditer(r"^([ \t]+)\S", text, re.M)]
    if not indents:
        indent = "  "
    elif any(i.startswith("\t") for i in indents):
        indent = "\t"
    else:
        indent = " " * min(min(len(i) for i in indents), 8)
    # Counts of what the file does: single vs double quotes, bare vs quoted keys, multi-line
    # objects with vs without a trailing comma. The majority wins.
    single = double = bare = quoted = with_comma = without = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, ObjectNode):
            for member in node.members:
                if text[member.key_start] in "\"'":
                    quoted += 1
                else:
                    bare += 1
                stack.append(member.value)
            if node.members and "\n" in text[node.start : node.end]:
                with_comma += node.trailing_comma
                without += not node.trailing_comma
        elif isinstance(node, ArrayNode):
            stack.extend(node.items)
        else:
            single += text.startswith("'", node.start)
            double += text.startswith('"', node.start)
    return Style(
        indent=indent,
        quote="'" if single > double else '"',
        quote_keys=quoted > 0 and bare == 0,
        trailing_commas=with_comma >= without,
        newline=newline,
    )


# --- the edit ----------------------------------------------------------------------------


@dataclass
class _Edit:
    start: int
    end: int
    text: str


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _indent_of_line(text: str, pos: int) -> str:
    start = _line_start(text, pos)
    match = re.match(r"[ \t]*", text[start:pos])
    return match.group() if match else ""


def _starts_line(text: str, pos: int) -> bool:
    return text[_line_start(text, pos) : pos].strip(" \t") == ""


def _end_of_line_content(text: str, pos: int) -> int:
    """From ``pos``, skip spaces and comments that stay on this line; return where that stops."""
    while True:
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if text.startswith("//", pos):
            newline = text.find("\n", pos)
            return (
                len(text)
                if newline < 0
                else (newline - 1 if text[newline - 1] == "\r" else newline)
            )
        if text.startswith("/*", pos):
            close = text.find("*/", pos + 2)
            if close >= 0 and "\n" not in text[pos:close]:
                pos = close + 2
                continue
        return pos


def _entry(key: str | None, value: Any, style: Style, indent: str | None) -> str:
    """A member (``key: value``) or an array item (``key`` None): on its own line indented
    by ``indent``, or inline when ``indent`` is None."""
    head = "" if key is None else _key(key, style) + ": "
    if indent is None:
        return head + _inline(value, style)
    return indent + head + block(value, style, indent)


Items = list[tuple[str | None, Any]]


def _add_after(
    text: str, last: Node, start: int, comma: int | None, trailing: bool, items: Items,
    style: Style, edits: list[_Edit],
) -> None:  # fmt: skip
    """Insert ``items`` after the member or item ``last`` (which begins at ``start``): one per
    line in its indentation when it stands on its own line, else inline after it."""
    after = comma + 1 if comma is not None else last.end
    stop = _end_of_line_content(text, after)
    if (stop >= len(text) or text[stop] in "\r\n") and _starts_line(text, start):
        indent = _indent_of_line(text, start)
        lines = [_entry(k, v, style, indent) for k, v in items]
        if comma is None:
            edits.append(_Edit(last.end, last.end, ","))
        insertion = style.newline + ("," + style.newline).join(lines) + ("," if trailing else "")
        edits.append(_Edit(stop, stop, insertion))
        return
    inline = ", ".join(_entry(k, v, style, None) for k, v in items)
    if comma is None:
        edits.append(_Edit(last.end, last.end, ", " + inline))
    else:
        edits.append(_Edit(comma + 1, comma + 1, " " + inline + ","))


def _insert(text: str, node: ObjectNode, items: Items, style: Style, edits: list[_Edit]) -> None:
    if node.members:
        last: Member = node.members[-1]
        _add_after(text, last.value, last.key_start, last.comma, node.trailing_comma, items,
                   style, edits)  # fmt: skip
        return
    if text[node.start + 1 : node.end - 1].strip() == "":
        base = _indent_of_line(text, node.start)
        edits.append(_Edit(node.start, node.end, block(dict(items), style, base)))
        return
    close = node.end - 1  # an object holding only comments
    if _starts_line(text, close):
        indent = _indent_of_line(text, close) + style.indent
        lines = [_entry(k, v, style, indent) for k, v in items]
        tail = "," if style.trailing_commas else ""
        at = _line_start(text, close)
        edits.append(_Edit(at, at, ("," + style.newline).join(lines) + tail + style.newline))
    else:
        inline = ", ".join(_entry(k, v, style, None) for k, v in items)
        edits.append(_Edit(close, close, " " + inline + " "))


def _delete(text: str, start: int, value_end: int, comma: int | None, edits: list[_Edit]) -> None:
    """Remove a member or an item (``start`` to its value's end, and its comma): its whole
    line when it stands alone on one."""
    end = comma + 1 if comma is not None else value_end
    stop = _end_of_line_content(text, end)
    if _starts_line(text, start) and (stop >= len(text) or text[stop] in "\r\n"):
        start = _line_start(text, start)
        newline = text.find("\n", stop)
        end = len(text) if newline < 0 else newline + 1
    else:
        while end < len(text) and text[end] in " \t":
            end += 1
    edits.append(_Edit(start, end, ""))


def _item_key(value: Any) -> str | None:
    """How an array item is matched across an edit: a model entry by its ``id``."""
    key = value.get("id") if isinstance(value, dict) else None
    return key if isinstance(key, str) else None


def _patch_list(
    text: str, node: ArrayNode, old: list[Any], new: list[Any], style: Style, edits: list[_Edit]
) -> bool:
    """Edit the array item by item when ``new`` is ``old`` with items changed in place
    (matched by ``id``, else by position), some removed and some appended at the end.
    Returns False, having recorded nothing, when it is not of that shape."""
    plan: list[tuple[int, Any]] = []  # (old index, new value) pairs patched in place
    appended: list[Any] = []
    j = 0
    keys = [_item_key(v) for v in old]
    where = {key: index for index, key in enumerate(keys) if key is not None}
    if len(where) != sum(k is not None for k in keys):
        return False  # duplicate ids: rewrite the array whole
    for value in new:
        key = _item_key(value)
        later = key is not None and where.get(key, -1) >= j  # an old item still ahead
        if not appended:
            if later:
                k = where[key]  # type: ignore[index]
                plan.append((k, value))
                j = k + 1
                continue
            if key is None and j < len(old) and keys[j] is None:
                plan.append((j, value))
                j += 1
                continue
        if later:
            return False  # an old item would move past an appended one
        appended.append(value)
    if not plan:
        return False  # nothing to anchor on
    kept = {k for k, _ in plan}
    local: list[_Edit] = []
    for k, value in plan:
        _patch(text, node.items[k], old[k], value, style, local)
    for index in range(len(old)):
        if index not in kept:
            _delete(text, node.items[index].start, node.items[index].end, node.commas[index], local)
    if appended:
        last = max(kept)
        items: Items = [(None, v) for v in appended]
        _add_after(text, node.items[last], node.items[last].start, node.commas[last],
                   node.trailing_comma, items, style, local)  # fmt: skip
    edits.extend(local)
    return True


def _patch(text: str, node: Node, old: Any, new: Any, style: Style, edits: list[_Edit]) -> None:
    if same(old, new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        assert isinstance(node, ObjectNode)
        removed = [m for m in node.members if m.key not in new]
        added: Items = [(k, v) for k, v in new.items() if k not in old]
        if removed and added:
            # Both at once may touch the same line: rewrite this object whole (never happens
            # in genesis's own edits, which only add or only remove within one object).
            edits.append(
                _Edit(node.start, node.end, block(new, style, _indent_of_line(text, node.start)))
            )
            return
        for member in removed:
            _delete(text, member.key_start, member.value.end, member.comma, edits)
        for key, value in new.items():
            if key in old:
                current = node.member(key)
                assert current is not None
                _patch(text, current.value, old[key], value, style, edits)
        if added:
            _insert(text, node, added, style, edits)
        return
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and old
        and isinstance(node, ArrayNode)
        and _patch_list(text, node, old, new, style, edits)
    ):
        return
    edits.append(_Edit(node.start, node.end, block(new, style, _indent_of_line(text, node.start))))


def apply(text: str, new: Any, parsed: tuple[Any, Node | None] | None = None) -> str:
    """``text`` changed so that it reads as ``new``, with the fewest edits to the text.

    ``parsed``: ``text`` already parsed (its value and position tree), not parsed again.
    """
    if not text.strip():
        return dumps(new)
    if parsed is not None and parsed[1] is not None:
        old, root = parsed[0], parsed[1]
    else:
        old, root = parse(text)
    style = detect_style(text, root)
    edits: list[_Edit] = []
    _patch(text, root, old, new, style, edits)
    # One pass over the text, edits in order of position (at one position, the edit recorded
    # first lands first).
    order = sorted(range(len(edits)), key=lambda i: (edits[i].start, edits[i].end, i))
    pieces: list[str] = []
    pos = 0
    for index in order:
        edit = edits[index]
        if edit.start < pos:
            raise AssertionError("overlapping config edits")  # a bug, never user input
        pieces.append(text[pos : edit.start])
        pieces.append(edit.text)
        pos = edit.end
    pieces.append(text[pos:])
    return "".join(pieces)
