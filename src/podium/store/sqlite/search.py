"""Translate a parsed search `Query` into a parameterised SQLite `WHERE` clause.

Values only ever travel as `?` parameters; the SQL text holds nothing but the column expressions
the store passes in, the operators and placeholders. Selected rows are exactly those that
`podium.model.search.matches` accepts: a NULL satisfies only `IS NULL`, `LIKE` folds ASCII case
only, text compares by code point (SQLite's BINARY collation) and integers numerically.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podium.model.search import Query, free_text_needle
from podium.store.sql_search import Dialect, column_of, like_pattern, where_clause

__all__ = ["free_text_to_sql", "like_pattern", "order_by", "to_sql"]

SQLITE = Dialect(mark="?", lower=lambda expression: f"LOWER({expression})")
"""SQLite's LOWER() folds ASCII letters only."""


def to_sql(query: Query | None, columns: Mapping[str, str]) -> tuple[str, list[Any]]:
    """Return `(where_clause, params)` for `query`; `("1=1", [])` when there is none.

    `columns` maps each camelCase field to an SQL column expression, e.g.
    `{"workflowType": "w.workflow_name"}`. Integer fields must be INTEGER columns.
    """
    if query is None:
        return "1=1", []
    return where_clause(query, columns, SQLITE)


def order_by(sort: list[tuple[str, bool]], columns: Mapping[str, str]) -> str:
    """Return `ORDER BY col ASC, ...` for `parse_sort`'s result, or "" when it is empty."""
    if not sort:
        return ""
    terms = (f"{column_of(field, columns)} {'ASC' if up else 'DESC'}" for field, up in sort)
    return "ORDER BY " + ", ".join(terms)


def free_text_to_sql(free_text: str | None, column: str) -> tuple[str, list[Any]]:
    """Return the clause selecting rows whose `column` text holds `freeText` (ASCII case-blind).

    It selects what `podium.model.search.free_text_matches` accepts; `("1=1", [])` for `*`.
    """
    needle = free_text_needle(free_text)
    if needle is None:
        return "1=1", []
    return f"instr(LOWER({column}), ?) > 0", [needle]
