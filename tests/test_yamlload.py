"""The strict YAML loader: text-only scalars, exact 1-based positions, and every unsafe construct refused."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from dekt.models import to_model
from dekt.models.claims import ClaimFile
from dekt.yamlload import MAX_BYTES, find, load, parse

CORPUS = Path(__file__).parent / "corpus" / "claims"


def ok(text: str | bytes):
    """Parse text that must load; return the document."""
    doc, problems = parse(text.encode("utf-8") if isinstance(text, str) else text, "t.yaml")
    assert problems == [] and doc is not None
    return doc


def problems_of(text: str | bytes) -> list[tuple[str, int, int]]:
    """Parse text that must not load; return its (code, line, col) in order."""
    doc, problems = parse(text.encode("utf-8") if isinstance(text, str) else text, "t.yaml")
    assert doc is None and problems
    assert all(d.file == "t.yaml" for d in problems)
    return [(d.code, d.line, d.col) for d in problems]


def at(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """The 1-based line and column of the ``nth`` occurrence of ``needle`` in ``text``, counted in characters."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


# ---------------------------------------------------------------- positions

NESTED = """\
activity: 2014年敬老院关爱行动
category: volunteering
date: 2014-10-12
registered: 2014-12-02
participants:
  - {student: 2014010001, hours: 8}
  - student: 2014010002
    hours: 12
  -   student: 2014010003
      hours: 6
"""


def test_positions_are_one_based_and_point_at_the_value():
    doc = ok(NESTED)
    assert doc.locate(("activity",)) == (1, 11)
    assert doc.locate(("activity",), key=True) == (1, 1)
    assert doc.locate(("category",)) == at(NESTED, "volunteering")


def test_positions_inside_list_items_flow_and_block():
    doc = ok(NESTED)
    assert doc.locate(("participants", 0)) == at(NESTED, "{student")
    assert doc.locate(("participants", 0, "hours")) == at(NESTED, "8}")
    assert doc.locate(("participants", 0, "hours"), key=True) == at(NESTED, "hours")
    assert doc.locate(("participants", 1)) == at(NESTED, "student: 2014010002")
    assert doc.locate(("participants", 1, "hours")) == (8, 12)  # "    hours: 12"
    assert doc.locate(("participants", 2)) == at(NESTED, "student: 2014010003")
    assert doc.locate(("participants", 2, "hours")) == (10, 14)


def test_columns_count_characters_not_bytes():
    text = "activity: 志愿服务\nnote: {地点: 敬老院, hours: 8}\n"
    assert ok(text).locate(("note", "hours")) == at(text, "8}")
    assert at(text, "8}") == (2, 24)  # in UTF-8 bytes it would be column 36


def test_a_missing_path_locates_the_nearest_enclosing_node():
    doc = ok(NESTED)
    assert find(doc.root, ("participants", 1, "course")) is None
    assert doc.locate(("participants", 1, "course")) == doc.locate(("participants", 1))
    assert doc.locate(("participants", 9, "hours")) == doc.locate(("participants",))


def test_missing_key_is_reported_at_the_parent_mapping():
    text = NESTED.replace("  - student: 2014010002\n", "  - role: member\n")
    claim, problems = to_model(ok(text), ClaimFile)
    assert claim is None
    missing = [(d.code, d.line, d.col) for d in problems if d.code == "DK202"]
    assert missing == [("DK202", *at(text, "role: member"))]  # the participant's mapping, not 0:0 or 1:1


def test_crlf_line_endings_keep_line_numbers():
    doc = ok("activity: a\r\ncategory: clubs\r\nstudent: 2014010001\r\n")
    assert doc.data["category"] == "clubs"
    assert doc.locate(("student",)) == (3, 10)


def test_utf8_bom_is_accepted_and_does_not_shift_columns():
    doc = ok(b"\xef\xbb\xbfactivity: a\nstudent: 0123\n")
    assert doc.data == {"activity": "a", "student": "0123"}
    assert doc.locate(("activity",), key=True) == (1, 1)


# ---------------------------------------------------------------- everything is text


@pytest.mark.parametrize(
    "written",
    ["0123", "no", "yes", "on", "off", "true", "2014-05-01", "1e3", "0x1F", "0o17", "12:30:00", ".inf", "1_000", "+1"],
)
def test_scalars_stay_the_text_that_was_written(written):
    doc = ok(f"value: {written}\nlist: [{written}]\n{written}: key\n")
    assert doc.data == {"value": written, "list": [written], written: "key"}


def test_nulls_are_none_but_quoted_null_is_text():
    doc = ok('a:\nb: ~\nc: null\nd: "null"\ne: ""\n')
    assert doc.data == {"a": None, "b": None, "c": None, "d": "null", "e": ""}


# ---------------------------------------------------------------- refused constructs


def test_duplicate_keys_point_at_the_repeat():
    assert problems_of("a: 1\nb: 2\na: 3\n") == [("DK102", 3, 1)]


def test_keys_equal_as_text_are_duplicates_even_if_yaml_types_differ():
    assert problems_of('1: a\n"1": b\n') == [("DK102", 2, 1)]


def test_tabs_are_reported_on_every_line_where_they_occur():
    assert problems_of('a: 1\n\tb: 2\nc: "x\ty"\n') == [("DK103", 2, 1), ("DK103", 3, 6)]


def test_anchor_and_alias_are_both_reported():
    text = "evidence: &e 签到表\nparticipants:\n  - {student: 2014010001, evidence: *e}\n"
    assert problems_of(text) == [("DK104", *at(text, "&e")), ("DK104", *at(text, "*e"))]


def test_each_alias_is_reported_at_its_own_position():
    text = "a: &x v\nb: [*x, *x, *x]\n"
    found = problems_of(text)
    assert found == [
        ("DK104", 1, 4),
        ("DK104", *at(text, "*x", 0)),
        ("DK104", *at(text, "*x", 1)),
        ("DK104", *at(text, "*x", 2)),
    ]


def test_merge_key_is_refused_as_an_alias():
    assert problems_of("base: {role: leader}\n<<: {role: member}\n") == [("DK104", 2, 1)]


def test_billion_laughs_is_refused_in_well_under_a_second():
    raw = (CORPUS / "yaml_billion_laughs.yaml").read_bytes()
    start = time.perf_counter()
    doc, problems = parse(raw, "laughs.yaml")
    elapsed = time.perf_counter() - start
    assert doc is None
    assert {d.code for d in problems} == {"DK104"}
    assert elapsed < 0.25, f"took {elapsed:.3f}s: aliases were expanded"


def test_deeper_alias_bomb_is_still_linear():
    # 30 levels of 10 aliases would be 10**30 nodes if expanded.
    lines = ["l0: &l0 x"] + [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 31)]
    start = time.perf_counter()
    doc, problems = parse("\n".join(lines).encode(), "bomb.yaml")
    assert doc is None and problems and {d.code for d in problems} == {"DK104"}
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize(
    "value, tag",
    [
        ("!custom x", "!custom"),
        ("!!binary aGVsbG8=", "tag:yaml.org,2002:binary"),
        ('!!python/object/apply:os.system ["true"]', "tag:yaml.org,2002:python/object/apply:os.system"),
        ("!!set {a, b}", "tag:yaml.org,2002:set"),
    ],
)
def test_tags_are_refused_and_never_constructed(value, tag):
    doc, problems = parse(f"activity: a\nevidence: {value}\n".encode(), "t.yaml")
    assert doc is None
    assert [(d.code, d.line, d.col) for d in problems] == [("DK111", 2, 11)]
    assert tag in problems[0].message


def test_a_non_text_key_is_refused():
    assert problems_of("a: 1\n[x, y]: 2\n") == [("DK105", 2, 1)]
    assert problems_of("a: 1\n? {x: 1}\n: 2\n") == [("DK105", 2, 3)]


def test_several_documents_are_refused_at_the_second():
    assert problems_of("a: 1\n---\na: 2\n") == [("DK112", 2, 1)]


def test_one_document_with_markers_is_fine():
    assert ok("---\na: 1\n...\n").data == {"a": "1"}


@pytest.mark.parametrize(
    "text, where", [("", (1, 1)), ("# only a comment\n", (1, 1)), ("just text\n", (1, 1)), ("\n- a\n- b\n", (2, 1))]
)
def test_a_file_that_is_not_a_mapping_is_refused(text, where):
    assert problems_of(text) == [("DK110", *where)]


def test_syntax_error_has_a_position():
    assert problems_of("a: [1, 2\nb: 3\n") == [("DK101", 2, 2)]


def test_non_utf8_is_reported_at_the_line_of_the_first_bad_byte():
    raw = "a: 1\nb: 2\nactivity: 志愿服务\n".encode("gbk")
    assert problems_of(raw) == [("DK109", 3, 1)]


def test_oversized_and_unreadable_files_are_reported(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * MAX_BYTES + b"\n")
    doc, problems = load(big, "big.yaml")
    assert doc is None and [d.code for d in problems] == ["DK100"]
    doc, problems = load(tmp_path / "missing.yaml", "missing.yaml")
    assert doc is None and [(d.code, d.file) for d in problems] == [("DK100", "missing.yaml")]


# ---------------------------------------------------------------- hostile input: depth and control characters


@pytest.mark.parametrize(
    "head, opening, closing",
    [("note: ", "[", "]"), ("note: ", "{a: ", "}"), ("note:\n", "- ", "")],
    ids=["flow-lists", "flow-mappings", "block-lists"],
)
@pytest.mark.parametrize("levels", [33, 300, 990, 5000])
def test_deep_nesting_is_one_diagnostic_not_a_recursion_error(head, opening, closing, levels):
    text = head + opening * levels + "1" + closing * levels + "\n"
    found = problems_of(text)
    assert [code for code, _, _ in found] == ["DK113"]
    if levels <= 990:  # past 1,000 levels libyaml's own limit stops it first, where it stops
        # Level 1 is the root mapping; the value of `note` is level 2, so level 33 is the 32nd opening.
        line, col = at(text, opening * (levels - 31))
        assert found[0][1:] == (line, col + len(opening) * 31)


def test_nesting_up_to_the_limit_loads():
    text = "note: " + "[" * 31 + "1" + "]" * 31 + "\n"  # 32 levels with the root mapping
    value = ok(text).data["note"]
    for _ in range(30):
        value = value[0]
    assert value == ["1"]


@pytest.mark.parametrize(
    "written, char",
    [(r'"a\eb"', "U+001B"), (r'"a\x1bb"', "U+001B"), (r'"a\u202eb"', "U+202E"), (r'"a\tb"', "U+0009"),
     (r'"a\rb"', "U+000D"), (r'"a\x9bb"', "U+009B"), (r'"a\u2028b"', "U+2028"), (r'"a\0b"', "U+0000")],
)  # fmt: skip
def test_control_characters_spelled_as_escapes_are_refused(written, char):
    doc, problems = parse(f"activity: ok\nevidence: {written}\n".encode(), "t.yaml")
    assert doc is None
    assert [(d.code, d.line, d.col) for d in problems] == [("DK114", 2, 11)]
    assert char in problems[0].message


@pytest.mark.parametrize("raw", ["\x1b", "\x07", "\x7f", "\x85", "\u202e", "\u2066", "\u2029"])
def test_raw_control_characters_are_refused_where_they_are(raw):
    text = f"activity: ok\nevidence: 证明{raw}x\n"
    assert problems_of(text) == [("DK114", 2, 13)]


def test_a_control_character_in_a_key_is_refused():
    assert problems_of('activity: ok\n"evi\\x1bdence": x\n') == [("DK114", 2, 1)]


def test_line_breaks_in_values_and_crlf_files_are_fine():
    doc = ok('reason: |\r\n  第一行\r\n  第二行\r\nnote: "a\\nb"\r\n')
    assert doc.data == {"reason": "第一行\n第二行\n", "note": "a\nb"}


def test_many_control_characters_give_one_diagnostic_per_line_and_a_bounded_count():
    text = "".join(f"k{i:02d}: \x1b\x1b\x1b\n" for i in range(100))
    found = problems_of(text)
    assert found == [("DK114", i + 1, 6) for i in range(20)]
