"""Every span the JSON5 reader records points at its value, key and comma, on whichever path
(the one-match path for plain members and items, or the general one) read it."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from genesis_cli.config.json5_doc import Container, Node, loads, parse
from genesis_cli.config.json5_edit import detect_style, same
from tests.test_json5_doc import documents, render


def check_spans(text: str, value: object, node: Node) -> None:
    assert same(loads(text[node.start : node.end]), value)
    if isinstance(node, Container) and text[node.start] == "{":
        assert isinstance(value, dict)
        assert [m.key for m in node.members if node.member(m.key) is m] == list(value)
        for member in node.members:
            assert text[member.start] in "\"'" or text[member.start].isidentifier()
            if member.comma is not None:
                assert text[member.comma] == ","
            if node.member(member.key) is member:
                check_spans(text, value[member.key], member.value)
    elif isinstance(node, Container):
        assert text[node.start] == "["
        assert isinstance(value, list) and len(node.members) == len(value)
        for item, inner in zip(node.members, value, strict=True):
            if item.comma is not None:
                assert text[item.comma] == ","
            check_spans(text, inner, item.value)


@settings(max_examples=300, deadline=None)
@given(documents, st.data())
def test_spans_point_at_their_values_in_any_layout(doc, data) -> None:
    text = render(doc, data.draw)
    value, tree = parse(text)
    check_spans(text, value, tree)


@settings(max_examples=200, deadline=None)
@given(documents)
def test_spans_point_at_their_values_in_one_line_json(doc) -> None:
    text = json.dumps(doc, ensure_ascii=False, separators=(", ", ": "))
    value, tree = parse(text)
    assert same(value, doc)
    check_spans(text, value, tree)


def test_the_plain_path_ends_where_nothing_could_extend_a_value() -> None:
    for text, expected in [
        ('{a: 1., b: 0x1F, c: .5, d: +1, "e": -0}', {"a": 1.0, "b": 31, "c": 0.5, "d": 1, "e": 0}),
        ("[1 , 2 ,\n 3 ,]", [1, 2, 3]),
        ("{a: 1 /* c */ , b: 'x\\ny'}", {"a": 1, "b": "x\ny"}),
    ]:
        assert same(loads(text), expected)


@settings(max_examples=200, deadline=None)
@given(documents, st.data())
def test_the_style_of_unread_json_entries_is_counted_as_if_read(doc, data) -> None:
    """Style detection counts the keys and strings of a one-line JSON entry it has not read
    (with spans); the counts must be those of reading it."""
    separators = data.draw(st.sampled_from([(", ", ": "), (",", ":"), (" , ", " : ")]))
    lines = [f"{json.dumps(k)}: {json.dumps(v, separators=separators)}" for k, v in doc.items()]
    text = (
        "{\n  "
        + ",\n  ".join(lines)
        + ("," if lines and data.draw(st.booleans()) else "")
        + "\n}\n"
    )
    _, tree = parse(text)
    unread = detect_style(text, tree)
    check_spans(text, loads(text), tree)  # reads every entry
    assert detect_style(text, tree) == unread
