from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.expr.jsonpath import path_roots, read_json, read_path, read_path_detailed

from ._helpers import IterationForbiddenError, LazyDoc, NeedsLoadingError, json_values

ITEMS: list[dict[str, Any]] = [
    {"id": 1, "name": "a", "price": 5},
    {"id": 2, "name": "b", "price": 15},
    {"id": 3, "price": 25},
]
DOC: dict[str, Any] = {
    "workflow": {
        "input": {"x": 1, "limit": 10, "nested": {"k": "v"}, "list": [1, 2, 3]},
        "status": "RUNNING",
    },
    "t1": {
        "output": {
            "items": ITEMS,
            "weird.key": "w",
            "s": "hello",
            "n": None,
            "m": {"a": 1, "b": 2},
        }
    },
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("workflow.input.x", 1),
        ("workflow.input.nested", {"k": "v"}),
        ("workflow.status", "RUNNING"),
        ("t1.output.items[0].id", 1),
        ("t1.output.items[-1].id", 3),
        ("t1.output['weird.key']", "w"),
        ('t1.output["weird.key"]', "w"),
        ("t1['output'].s", "hello"),
        ("['t1'].output.s", "hello"),
        ("$.t1.output.s", "hello"),
        ("$['t1']['output']['s']", "hello"),
        ("t1.output.items[ 1 ].name", "b"),
        ("workflow.input.x ", 1),
    ],
)
def test_definite_paths_return_the_single_value(path: str, expected: Any) -> None:
    assert read_path(DOC, path) == expected


@pytest.mark.parametrize(
    "path",
    [
        "workflow.input.missing",
        "workflow.missing.deep",
        "t9.output",
        "t1.output.items[10]",
        "t1.output.items[-10]",
        "t1.output.items.id",
        "t1.output.s.x",
        "t1.output.n.x",
        "workflow.input.x[0]",
        "t1.output.m[0]",
    ],
)
def test_missing_definite_paths_are_none(path: str) -> None:
    assert read_path(DOC, path) is None


@pytest.mark.parametrize(
    "path",
    [
        " workflow.input.x",
        "workflow.input.",
        "t1.output.a b",
        "t1.output[",
        "t1.output['a'",
        "t1.output.items[x]",
        "t1.output.items[?(@.price >)]",
        "t1.output.items[?(@.price ~~ 1)]",
        "t1.output.items[?(@.name =~ /(/)]",
        "..name",
    ],
)
def test_paths_jayway_rejects_read_as_none(path: str) -> None:
    assert read_path(DOC, path) is None


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("t1.output.items[*].id", [1, 2, 3]),
        ("t1.output.items[*].name", ["a", "b"]),
        ("t1.output.items[0,2].id", [1, 3]),
        ("t1.output.items[1:].id", [2, 3]),
        ("t1.output.items[:2].id", [1, 2]),
        ("t1.output.items[-2:].id", [2, 3]),
        ("t1.output.items[0:2].id", [1, 2]),
        ("t1.output.m.*", [1, 2]),
        ("t1.output.m[*]", [1, 2]),
        ("t1..id", [1, 2, 3]),
        ("t1.output.missing[*]", []),
        ("t1.output.s[*]", []),
        ("t1.output.items[*]['id','price']", [{k: i[k] for k in ("id", "price")} for i in ITEMS]),
    ],
)
def test_indefinite_paths_return_lists(path: str, expected: list[Any]) -> None:
    assert read_path_detailed(DOC, path) == (expected, True)


@pytest.mark.parametrize(
    ("condition", "ids"),
    [
        ("@.price > 10", [2, 3]),
        ("@.price >= 15 && @.id < 3", [2]),
        ("@.id == 1 || @.id == 3", [1, 3]),
        ("@.price<=15", [1, 2]),
        ("@.name", [1, 2]),
        ("!@.name", [3]),
        ("@.name == 'b'", [2]),
        ('@.name == "b"', [2]),
        ("@.name != 'b'", [1, 3]),
        ("@.name =~ /A/i", [1]),
        ("@.name =~ /a|b/", [1, 2]),
        ("@.id in [1, 3]", [1, 3]),
        ("@.name in ['b']", [2]),
        ("@.id nin [1, 3]", [2]),
        ("@.price == '15'", [2]),
        ("@.price > $.workflow.input.limit", [2, 3]),
        ("@.name size 1", [1, 2]),
        ("@.missing == null", []),
        ("@.price > 'x'", []),
    ],
)
def test_filters(condition: str, ids: list[int]) -> None:
    assert read_path(DOC, f"t1.output.items[?({condition})].id") == ids


def test_filter_on_a_map_tests_the_map_itself() -> None:
    assert read_path(DOC, "t1.output.m[?(@.a == 1)]") == [{"a": 1, "b": 2}]
    assert read_path(DOC, "t1.output.m[?(@.a == 2)]") == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("t1.output.items.length()", 3),
        ("t1.output.m.length()", 2),
        ("t1.output.items.size()", 3),
        ("t1.output.s.length()", None),
        ("workflow.input.list.sum()", 6.0),
        ("workflow.input.list.avg()", 2.0),
        ("workflow.input.list.min()", 1.0),
        ("workflow.input.list.max()", 3.0),
        ("workflow.input.list.first()", 1),
        ("workflow.input.list.last()", 3),
        ("t1.output.m.keys()", ["a", "b"]),
        ("t1.output.m.sum()", None),
        ("t1.output.items.unknown()", None),
        ("$..price.length()", 3),
    ],
)
def test_functions(path: str, expected: Any) -> None:
    assert read_path(DOC, path) == expected


def test_function_after_a_wildcard_applies_per_item() -> None:
    doc = {"t": {"lists": [[1, 2], [3]]}}
    assert read_path(doc, "t.lists[*].length()") == [2, 1]


def test_paths_rooted_at_the_whole_document() -> None:
    assert read_path(DOC, "$..price") == [5, 15, 25]
    assert read_path(DOC, "$.*.status") == ["RUNNING"]
    assert read_path(DOC, "$") == DOC


def test_read_json_accepts_any_root() -> None:
    assert read_json([{"a": 1}, {"a": 2}], "[1].a") == 2
    assert read_json({"a": [1, 2]}, "a[*]") == [1, 2]
    assert read_json("scalar", "a") is None


def test_plain_paths_only_get_their_root_from_the_document() -> None:
    doc = LazyDoc(DOC)
    assert read_path(doc, "t1.output.items[1].name") == "b"
    assert read_path(doc, "t1.output.items[?(@.price > $.workflow.input.limit)].id") == [2, 3]
    assert read_path(doc, "t9.output.x") is None
    assert doc.reads == ["t1", "t1", "workflow", "workflow", "workflow", "t9"]


@pytest.mark.parametrize(
    "path",
    [
        "t2.output.x",
        "t2.output.list[*]",
        "t1.output.items[?(@.id == $.t2.output.id)]",
    ],
)
def test_errors_raised_by_the_document_propagate(path: str) -> None:
    doc = LazyDoc(DOC, unloaded=frozenset({"t2"}))
    with pytest.raises(NeedsLoadingError):
        read_path(doc, path)


def test_whole_document_paths_materialise_the_document() -> None:
    with pytest.raises(IterationForbiddenError):
        read_path(LazyDoc(DOC), "$..id")


def test_path_roots() -> None:
    assert path_roots("t1.output.x") == {"t1"}
    assert path_roots("$['t1'].output") == {"t1"}
    assert path_roots("t1.output[?(@.id == $.t2.output.id)]") == {"t1", "t2"}
    assert path_roots("$..x") == {"*"}
    assert path_roots("*.output") == {"*"}
    assert path_roots("bad path") == frozenset()


@given(json_values)
def test_any_value_reads_back_unchanged(value: Any) -> None:
    assert read_path({"r": {"v": value}}, "r.v") == value


@given(st.dictionaries(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True), json_values))
def test_dotted_and_bracket_keys_agree(data: dict[str, Any]) -> None:
    for key, value in data.items():
        assert read_path({"r": data}, f"r.{key}") == value
        assert read_path({"r": data}, f"r['{key}']") == value
