from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podium.errors import PodiumError
from podium.expr.jq import JqError, transform


@pytest.mark.parametrize(
    ("query", "data", "expected"),
    [
        (".a", {"a": 1}, [1]),
        (".", {"a": [1, "x"]}, [{"a": [1, "x"]}]),
        (".missing", {}, [None]),
        (".items[]", {"items": [1, 2, 3]}, [1, 2, 3]),
        (".items[] | select(. > 1)", {"items": [1, 2, 3]}, [2, 3]),
        ("[.items[] | . * 2]", {"items": [1, 2]}, [[2, 4]]),
        ("empty", {}, []),
        (".a, .b", {"a": "x", "b": None}, ["x", None]),
        (
            "{name: .user.name, n: (.tags | length)}",
            {"user": {"name": "u"}, "tags": [1]},
            [{"name": "u", "n": 1}],
        ),
        ("def twice(f): f * 2; twice(.a)", {"a": 4}, [8]),
        ("reduce .items[] as $i (0; . + $i)", {"items": [1, 2, 3]}, [6]),
        # simple_json_jq_transform_integration_test.json
        (
            "{ out: (.in1.array + .in2.array) }",
            {"in1": {"array": ["a", "b"]}, "in2": {"array": ["c", "d"]}},
            [{"out": ["a", "b", "c", "d"]}],
        ),
    ],
)
def test_all_results_of_the_program(query: str, data: Any, expected: list[Any]) -> None:
    assert transform(query, data) == expected


@pytest.mark.parametrize(
    ("query", "expected", "kind"),
    [
        (".a * 2", 3, int),
        (".a + 0.5", 2.0, int),
        (".a / 2", 0.75, float),
        ("1.0", 1, int),
        ("2.50", 2.5, float),
        ("1e3", 1000, int),
        ("pow(2; 62)", 2**62, int),
        ("pow(2; 70)", 2.0**70, float),
        ("infinite", 1.7976931348623157e308, float),
        ("-infinite", -1.7976931348623157e308, float),
    ],
)
def test_integral_numbers_are_int_and_others_float(query: str, expected: Any, kind: type) -> None:
    (result,) = transform(query, {"a": 1.5})
    assert result == expected
    assert type(result) is kind


def test_integral_numbers_nested_in_results_are_int_too() -> None:
    result = transform("{x: (.a * 2), list: [.a, 4.0]}", {"a": 1.5})
    assert result == [{"x": 3, "list": [1.5, 4]}]
    assert type(result[0]["x"]) is int
    assert type(result[0]["list"][1]) is int


def test_jq_holds_numbers_as_doubles() -> None:
    # 2**60 + 1 has no exact double; jackson-jq would have kept it.
    assert transform(".big", {"big": 2**60 + 1}) == [2**60]
    (huge,) = transform("1.5e300", {})
    assert huge == 1.5e300
    assert type(huge) is float


def test_nan_becomes_null() -> None:
    assert transform("nan", {}) == [None]


def test_an_invalid_program_is_a_jq_error_with_the_compiler_message() -> None:
    with pytest.raises(JqError) as caught:
        transform(".a |", {})
    assert "syntax error" in caught.value.message
    assert "compile error" in caught.value.message
    assert isinstance(caught.value, PodiumError)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('error("boom")', "boom"),
        (".[0]", "Cannot index object with number"),
        (".a + 1", "cannot be added"),
    ],
)
def test_a_runtime_error_is_a_jq_error(query: str, message: str) -> None:
    with pytest.raises(JqError, match=message):
        transform(query, {"a": "text"})


def test_input_that_is_not_json_is_a_jq_error() -> None:
    with pytest.raises(JqError, match="not JSON"):
        transform(".", {"a": object()})


def test_any_mapping_is_accepted() -> None:
    assert transform(".a", MappingProxyType({"a": 2})) == [2]


def test_the_server_environment_is_not_readable() -> None:
    assert transform("env", {}) == [{}]
    assert transform("$ENV", {}) == [{}]
    assert transform("$ENV.HOME, env.PATH", {}) == [None, None]
    # A program may still define and bind its own names.
    assert transform("def env: .a; env", {"a": 1}) == [1]
    assert transform(".a as $ENV | $ENV", {"a": 2}) == [2]


@pytest.mark.parametrize("query", ['import "m" as m; .', 'include "m"; .'])
def test_modules_are_refused(query: str) -> None:
    with pytest.raises(JqError):
        transform(query, {})


def test_a_repeated_query_gives_the_same_results() -> None:
    for n in range(3):
        assert transform(".n + 1", {"n": n}) == [n + 1]


_keys = st.text(alphabet=st.characters(codec="utf-8"), max_size=5)
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _keys,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_keys, children, max_size=3),
    max_leaves=10,
)


def _no_integral_float(value: Any) -> bool:
    if isinstance(value, float):
        return not value.is_integer() or abs(value) >= 2**63
    if isinstance(value, list):
        return all(_no_integral_float(item) for item in value)
    if isinstance(value, dict):
        return all(_no_integral_float(item) for item in value.values())
    return True


@settings(max_examples=100, deadline=None)
@given(value=_json)
def test_identity_returns_the_input_with_integral_numbers_as_int(value: Any) -> None:
    (result,) = transform(".", value)
    assert result == value
    assert _no_integral_float(result)
