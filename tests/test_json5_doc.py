"""The span-keeping JSON5 reader agrees with the ``json5`` package (the reference)."""

from __future__ import annotations

import copy
import json
import math

import json5
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genesis_cli.config.json5_doc import JSON5Error, loads, parse
from genesis_cli.config.json5_edit import apply, same

keys = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=True)
    | st.text(max_size=12)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)
documents = st.dictionaries(keys, values, max_size=5)


def render(value, draw, depth=0) -> str:
    """JSON5 text for ``value`` with random comments, quotes, trailing commas and layout."""
    pad = draw(st.sampled_from(["", " ", "\n", "  // c\n", " /* b */ "]))
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            if key.isidentifier() and key.isascii() and draw(st.booleans()):
                k = key
            else:
                k = json.dumps(key, ensure_ascii=False)
            parts.append(f"{pad}{k}{pad}:{pad}{render(item, draw, depth + 1)}")
        tail = "," if parts and draw(st.booleans()) else ""
        return "{" + ",".join(parts) + tail + pad + "}"
    if isinstance(value, list):
        parts = [pad + render(item, draw, depth + 1) for item in value]
        tail = "," if parts and draw(st.booleans()) else ""
        return "[" + ",".join(parts) + tail + pad + "]"
    if isinstance(value, str) and draw(st.booleans()):
        return (
            "'"
            + json.dumps(value, ensure_ascii=False)[1:-1].replace("'", "\\'").replace('\\"', '"')
            + "'"
        )
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # json5.dumps writes "\\00" for "\x000"
    return json5.dumps(value)


@settings(max_examples=300, deadline=None)
@given(documents, st.data())
def test_random_documents_read_the_same_as_the_json5_package(doc, data) -> None:
    text = render(doc, data.draw)
    assert same(loads(text), json5.loads(text))
    assert same(loads(text), doc)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="{}[]:,\"'/*\n ab1.-+xeIN\\", max_size=30))
def test_junk_is_rejected_exactly_when_json5_rejects_it(text) -> None:
    try:
        expected = json5.loads(text)
    except Exception:
        expected = JSON5Error
    try:
        actual = loads(text)
    except JSON5Error:
        actual = JSON5Error
    if expected is JSON5Error or actual is JSON5Error:
        assert actual is expected, f"{text!r}: json5 gave {expected!r}, we gave {actual!r}"
    else:
        assert same(actual, expected)


@settings(max_examples=200, deadline=None)
@given(documents, documents, st.data())
def test_edits_read_back_as_the_new_data_and_are_idempotent(old, patch, data) -> None:
    text = render(old, data.draw)
    new = copy.deepcopy(old)
    new.update(patch)
    out = apply(text, new)
    assert same(loads(out), new)
    assert apply(out, new) == out


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("{\n  a: 1\n  b: 2\n}", 3, 3),
        ("{a: 'unterminated}", 1, 5),
        ("[1, 2", 1, 6),
        ("{a: 1} extra", 1, 8),
        ("{a: tru}", 1, 5),
    ],
)
def test_errors_name_line_and_column(text, line, column) -> None:
    with pytest.raises(JSON5Error) as info:
        parse(text)
    assert (info.value.line, info.value.column) == (line, column)


def test_special_numbers_and_escapes() -> None:
    data = loads("{a: 0x1F, b: -Infinity, c: NaN, d: .5e1, e: 'a\\x41\\u0042\\\nc', f: +1}")
    assert data["a"] == 31 and data["b"] == -math.inf and math.isnan(data["c"])
    assert data["d"] == 5.0 and data["e"] == "aABc" and data["f"] == 1


def test_surrogate_pair_escapes_make_one_character() -> None:
    assert loads('"\\ud83d\\ude00"') == "\U0001f600"


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(JSON5Error, match="nested too deeply"):
        loads("[" * 5000 + "]" * 5000)


def test_a_backslash_starts_a_key_only_as_a_unicode_escape() -> None:
    assert loads("{\\u0061: 1}") == {"a": 1}
    with pytest.raises(JSON5Error):
        loads("{\\a: 1}")  # json5 refuses it too


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('{"n": ' + "9" * 4100 + "}", "digits"),
        ('{"n": 1.' + "0" * 4100 + "}", "digits"),
        ('["\\ud800"]', "surrogate"),
        ('{"a": ' + "[" * 300 + "]" * 300 + "}", "nested too deeply"),
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
    ],
)
def test_plain_json_gets_the_same_checks(text, error) -> None:
    """Plain JSON is read by the stdlib's scanner, which allows all of these."""
    with pytest.raises(JSON5Error, match=error):
        loads(text)
