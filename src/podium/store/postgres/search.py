"""Translate a parsed search `Query` into a parameterised PostgreSQL `WHERE` clause.

The twin of `podium.store.sqlite.search`, with the same semantics: values only ever travel as
`%s` parameters; the SQL text holds nothing but the column expressions the store passes in, the
operators and placeholders. Selected rows are exactly those `podium.model.search.matches`
accepts: a NULL satisfies only `IS NULL`, `LIKE` and free text fold ASCII case only (through
`translate()`, since `lower()` would also fold other letters), text compares by code point (the
schema's "C" collation) and integers numerically.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podium.model.search import Query, free_text_needle
from podium.store.sql_search import Dialect, column_of, where_clause

__all__ = ["ascii_lower", "free_text_to_sql", "order_by", "to_sql"]

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def ascii_lower(expression: str) -> str:
    """SQL that lower-cases the ASCII letters of `expression` and nothing else."""
    return f"translate({expression}, '{_UPPER}', '{_UPPER.lower()}')"


POSTGRES = Dialect(mark="%s", lower=ascii_lower)


def to_sql(query: Query | None, columns: Mapping[str, str]) -> tuple[str, list[Any]]:
    """Return `(where_clause, params)` for `query`; `("TRUE", [])` when there is none.

    `columns` maps each camelCase field to an SQL column expression, e.g.
    `{"workflowType": "w.workflow_name"}`. Integer fields must be integer columns.
    """
    if query is None:
        return "TRUE", []
    return where_clause(query, columns, POSTGRES)


def order_by(sort: list[tuple[str, bool]], columns: Mapping[str, str]) -> str:
    """Return `ORDER BY col ASC, ...` for `parse_sort`'s result, or "" when it is empty."""
    if not sort:
        return ""
    # NULLS FIRST on ascending keys mirrors SQLite, where NULL sorts before every value.
    terms = (
        f"{column_of(field, columns)} {'ASC NULLS FIRST' if up else 'DESC NULLS LAST'}"
        for field, up in sort
    )
    return "ORDER BY " + ", ".join(terms)


def free_text_to_sql(free_text: str | None, body: str) -> tuple[str, list[Any]]:
    """Return the clause selecting rows whose BYTEA `body`, read as UTF-8, holds `freeText`.

    It selects what `podium.model.search.free_text_matches` accepts; `("TRUE", [])` for `*`.
    """
    needle = free_text_needle(free_text)
    if needle is None:
        return "TRUE", []
    text = ascii_lower(f"convert_from({body}, 'UTF8')")
    return f"strpos({text}, %s) > 0", [needle]
