"""Translate a parsed search `Query` into a parameterised PostgreSQL `WHERE` clause.

The twin of `podium.store.sqlite.search`, with the same semantics: values only ever travel as
`%s` parameters; the SQL text holds nothing but the column expressions the store passes in, the
operators and placeholders. Selected rows are exactly those `podium.model.search.matches`
accepts: a NULL satisfies only `IS NULL`, `LIKE` and free text fold ASCII case only (`lower()`
under the "C" collation, which leaves every other letter alone), text compares by code point
(the schema's "C" collation) and integers numerically.

`freeText` goes through `podium_search_text(body)` (migration 0002): the trigram index on it
narrows the rows to those holding every trigram of the text, and `LIKE` keeps the exact ones.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from podium.model.search import Query, free_text_needle
from podium.store.sql_search import Dialect, column_of, where_clause

__all__ = ["ascii_lower", "free_text_to_sql", "order_by", "to_sql"]


def ascii_lower(expression: str) -> str:
    """SQL that lower-cases the ASCII letters of `expression` and nothing else."""
    return f'lower(({expression}) COLLATE "C")'


POSTGRES = Dialect(mark="%s", lower=ascii_lower)


def to_sql(query: Query | None, columns: Mapping[str, str]) -> tuple[str, list[Any]]:
    """Return `(where_clause, params)` for `query`; `("TRUE", [])` when there is none.

    `columns` maps each camelCase field to an SQL column expression, e.g.
    `{"workflowType": "w.workflow_name"}`. Integer fields must be integer columns.
    """
    if query is None:
        return "TRUE", []
    return where_clause(query, columns, POSTGRES)


def order_by(
    sort: list[tuple[str, bool]], columns: Mapping[str, str], nullable: Collection[str]
) -> str:
    """Return `ORDER BY col ASC, ...` for `parse_sort`'s result, or "" when it is empty.

    NULLs come first ascending and last descending, as in SQLite. Only the `nullable` columns
    say so: a plain `ASC`/`DESC` on the others is an order their index can serve.
    """
    terms = []
    for field, up in sort:
        column = column_of(field, columns)
        nulls = (" NULLS FIRST" if up else " NULLS LAST") if column in nullable else ""
        terms.append(f"{column} {'ASC' if up else 'DESC'}{nulls}")
    return "ORDER BY " + ", ".join(terms) if terms else ""


def free_text_to_sql(free_text: str | None, body: str) -> tuple[str, list[Any]]:
    """Return the clause selecting rows whose BYTEA `body`, read as UTF-8, holds `freeText`.

    It selects what `podium.model.search.free_text_matches` accepts; `("TRUE", [])` for `*`.
    """
    needle = free_text_needle(free_text)
    if needle is None:
        return "TRUE", []
    # A pattern holding the needle literally (LIKE's default escape character is the backslash).
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"podium_search_text({body}) LIKE %s", [f"%{escaped}%"]
