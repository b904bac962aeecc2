"""The text-splicing editor: exact text out for each style it must respect."""

from __future__ import annotations

import copy
import math

import pytest

from genesis_cli.config.json5_doc import loads
from genesis_cli.config.json5_edit import apply, dumps, same


def edit(text: str, change) -> str:
    data = loads(text) if text.strip() else {}
    new = copy.deepcopy(data)
    change(new)
    out = apply(text, new)
    assert same(loads(out), new)
    return out


def test_unchanged_data_leaves_text_identical() -> None:
    text = "// c\n{a: 1, /* x */ b: [1,2,],}\n"
    assert apply(text, loads(text)) == text


def test_changed_scalar_keeps_its_quote_style_and_comment() -> None:
    text = "{\n  // note\n  primary: 'old', // why\n}\n"
    out = edit(text, lambda d: d.__setitem__("primary", "new"))
    assert out == "{\n  // note\n  primary: 'new', // why\n}\n"


def test_new_key_goes_after_a_trailing_line_comment_not_before_it() -> None:
    text = "{\n  a: 1, // keep me on a's line\n}\n"
    out = edit(text, lambda d: d.__setitem__("b", 2))
    assert out == "{\n  a: 1, // keep me on a's line\n  b: 2,\n}\n"


def test_no_trailing_comma_file_gets_a_separator_comma_only() -> None:
    text = '{\n    "a": 1\n}\n'
    out = edit(text, lambda d: d.__setitem__("b", {"c": "d"}))
    assert out == '{\n    "a": 1,\n    "b": { "c": "d" }\n}\n'


def test_tabs_and_crlf_are_kept_for_new_blocks() -> None:
    text = "{\r\n\ta: {\r\n\t\tx: 1,\r\n\t},\r\n}\r\n"
    out = edit(text, lambda d: d["a"].__setitem__("y", {"deep": {"er": [1, {"k": 2}]}}))
    assert out == (
        "{\r\n\ta: {\r\n\t\tx: 1,\r\n\t\ty: {\r\n\t\t\tdeep: {\r\n\t\t\t\ter: [\r\n"
        "\t\t\t\t\t1,\r\n\t\t\t\t\t{ k: 2 },\r\n\t\t\t\t],\r\n\t\t\t},\r\n\t\t},\r\n\t},\r\n}\r\n"
    )


def test_keys_that_are_not_identifiers_are_quoted() -> None:
    out = edit("{\n  a: 1,\n}\n", lambda d: d.__setitem__("chutes:default", {"m": "x"}))
    assert '  "chutes:default": { m: "x" },\n' in out


def test_plain_json_file_stays_plain_json_style() -> None:
    text = '{\n  "a": {\n    "b": 1\n  }\n}\n'
    out = edit(text, lambda d: d["a"].__setitem__("c", {"d": True}))
    assert out == '{\n  "a": {\n    "b": 1,\n    "c": { "d": true }\n  }\n}\n'


def test_inline_object_grows_inline() -> None:
    text = "{ model: { primary: 'x' } }\n"
    out = edit(text, lambda d: d["model"].__setitem__("fallback", "y"))
    assert out == "{ model: { primary: 'x', fallback: 'y' } }\n"


def test_empty_object_with_a_comment_keeps_the_comment() -> None:
    text = "{\n  models: {\n    // add models here\n  },\n}\n"
    out = edit(text, lambda d: d["models"].__setitem__("m", 1))
    assert out == "{\n  models: {\n    // add models here\n    m: 1,\n  },\n}\n"


def test_empty_braces_are_replaced_by_a_block() -> None:
    out = edit("{\n  a: {},\n}\n", lambda d: d["a"].__setitem__("x", {"y": [1, 2]}))
    assert out == "{\n  a: {\n    x: { y: [1, 2] },\n  },\n}\n"


def test_deleting_a_member_removes_its_whole_line_and_comment() -> None:
    text = "{\n  a: 1,\n  b: 2, // gone with b\n  c: 3,\n}\n"
    out = edit(text, lambda d: d.pop("b"))
    assert out == "{\n  a: 1,\n  c: 3,\n}\n"


def test_deleting_an_inline_member() -> None:
    out = edit("{ a: 1, b: 2, c: 3 }", lambda d: d.pop("b"))
    assert out == "{ a: 1, c: 3 }"


def test_block_comments_and_blank_lines_survive_an_insert() -> None:
    text = "/* head */\n{\n\n  a: 1,\n\n  /* tail */\n}\n// end\n"
    out = edit(text, lambda d: d.__setitem__("b", 2))
    assert out.startswith("/* head */\n{\n\n  a: 1,\n  b: 2,\n\n  /* tail */\n}\n// end\n")


def test_replacing_a_list_of_objects_writes_one_plain_json_object_per_line() -> None:
    text = "{\n  models: [],\n}\n"
    out = edit(text, lambda d: d.__setitem__("models", [{"id": "a"}, {"id": "b"}]))
    assert out == '{\n  models: [\n    {"id": "a"},\n    {"id": "b"},\n  ],\n}\n'


def test_fresh_document_matches_the_spec_layout() -> None:
    out = dumps({"agents": {"defaults": {"model": {"primary": "chutes/x"}}}})
    expected = '{\n  agents: {\n    defaults: {\n      model: { primary: "chutes/x" },\n'
    assert out == expected + "    },\n  },\n}\n"


def test_strings_are_escaped_for_their_quote() -> None:
    out = edit("{ a: 'x' }", lambda d: d.__setitem__("a", 'it\'s "q"\n\u2028'))
    assert loads(out)["a"] == 'it\'s "q"\n\u2028'
    assert "\n" not in out.strip()


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        (True, 1, False),
        (1, 1.0, True),
        (math.nan, math.nan, True),
        ({"a": [1]}, {"a": [1]}, True),
        ({"a": 1}, {"a": 1, "b": 2}, False),
        (None, False, False),
        ("1", 1, False),
    ],
)
def test_same_tells_types_apart(a, b, equal) -> None:
    assert same(a, b) is equal


# --- arrays of model entries: edited item by item, matched by id -------------------------


def test_an_array_item_changed_in_place_keeps_the_comments_around_it() -> None:
    text = (
        "{\n  models: [\n    // mine\n    { id: 'a', price: 1 }, // cheap\n"
        "    { id: 'b', price: 2 },\n  ],\n}\n"
    )
    out = edit(text, lambda d: d["models"][0].__setitem__("price", 3))
    assert out == text.replace("price: 1", "price: 3")


def test_a_removed_item_takes_its_line_and_an_appended_one_follows_the_last_kept() -> None:
    text = "{\n  models: [\n    // a first\n    { id: 'a' },\n    { id: 'b' }, // gone\n  ],\n}\n"

    def change(d):
        d["models"] = [d["models"][0], {"id": "c"}]

    out = edit(text, change)
    assert out == "{\n  models: [\n    // a first\n    { id: 'a' },\n    { id: 'c' },\n  ],\n}\n"


def test_an_array_that_is_not_kept_then_appended_is_rewritten_whole() -> None:
    text = "{\n  models: [\n    { id: 'a' },\n    { id: 'b' },\n  ],\n}\n"
    out = edit(text, lambda d: d.__setitem__("models", [{"id": "b"}, {"id": "a"}]))
    assert loads(out)["models"] == [{"id": "b"}, {"id": "a"}]


def test_a_plain_json_model_list_is_edited_per_entry() -> None:
    text = '{\n  models: [\n    {"id": "a", "n": 1},\n    {"id": "b", "n": 2}\n  ]\n}\n'
    out = edit(text, lambda d: d["models"].append({"id": "c", "n": 3}))
    assert out == (
        '{\n  models: [\n    {"id": "a", "n": 1},\n    {"id": "b", "n": 2},\n'
        '    { id: "c", n: 3 }\n  ]\n}\n'
    )
