from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.expr.javastr import java_double, java_str, json_smart_str


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (1, "1"),
        (-42, "-42"),
        (1.0, "1.0"),
        (2.5, "2.5"),
        ("text", "text"),
        ({}, "{}"),
        ([], "[]"),
        ({"a": 1, "b": "x"}, "{a=1, b=x}"),
        ([1, "a", None, 1.5], "[1, a, null, 1.5]"),
        ({"m": {"n": [True, {"k": None}]}}, "{m={n=[true, {k=null}]}}"),
    ],
)
def test_java_str_matches_java_to_string(value: Any, expected: str) -> None:
    assert java_str(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (100.0, "100.0"),
        (0.001, "0.001"),
        (0.0001, "1.0E-4"),
        (1234567.5, "1234567.5"),
        (1e7, "1.0E7"),
        (1.5e10, "1.5E10"),
        (-2.25e-5, "-2.25E-5"),
        (123.456, "123.456"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
        (math.nan, "NaN"),
    ],
)
def test_java_double_uses_double_to_string_layout(value: float, expected: str) -> None:
    assert java_double(value) == expected


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_java_double_round_trips(value: float) -> None:
    text = java_double(value)
    assert float(text) == value
    assert "." in text


def test_json_smart_str_is_compact_json_with_web_escapes() -> None:
    value = {"a": [1, 2.0, None, True], "b": 'q"/\\\n\x01\u2028é'}
    assert json_smart_str(value) == '{"a":[1,2.0,null,true],"b":"q\\"\\/\\\\\\n\\u0001\\u2028é"}'
