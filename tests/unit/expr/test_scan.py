from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.expr.scan import Expr, find_expressions, unescape


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", ()),
        ("${a.b}", (Expr(0, 6, "a.b"),)),
        ("x ${a} y ${b}", (Expr(2, 6, "a"), Expr(9, 13, "b"))),
        ("${a.${b}}", (Expr(0, 9, "a.${b}"),)),
        ("$${a}", ()),
        ("$${a.${b}}", (Expr(5, 9, "b"),)),
        ("${unclosed ${b}", (Expr(11, 15, "b"),)),
        ("${a{b}c}", (Expr(0, 8, "a{b}c"),)),
        ("${}", (Expr(0, 3, ""),)),
    ],
)
def test_find_expressions_balances_braces_and_skips_escapes(
    text: str, expected: tuple[Expr, ...]
) -> None:
    assert find_expressions(text) == expected


def test_long_strings_are_scanned_too() -> None:
    text = "x" * 1000 + "${a}"
    assert find_expressions(text) == (Expr(1000, 1004, "a"),)


def test_unescape_rewrites_every_double_dollar_brace() -> None:
    assert unescape("$${a} $$b $${c}") == "${a} $$b ${c}"


@given(st.text())
def test_every_expression_is_a_balanced_substring(text: str) -> None:
    for expr in find_expressions(text):
        match = text[expr.start : expr.end]
        assert match == "${" + expr.body + "}"
        assert match.count("{") == match.count("}")
        assert expr.start == 0 or text[expr.start - 1] != "$"
