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

from podium.errors import BadRequest
from podium.model.search import And, Compare, Op, Query, free_text_needle
from podium.store.sqlite.search import like_pattern

__all__ = ["ascii_lower", "free_text_to_sql", "order_by", "to_sql"]

_BINARY = {Op.EQ: "=", Op.NE: "<>", Op.GT: ">", Op.LT: "<", Op.GE: ">=", Op.LE: "<="}
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def ascii_lower(expression: str) -> str:
    """SQL that lower-cases the ASCII letters of `expression` and nothing else."""
    return f"translate({expression}, '{_UPPER}', '{_UPPER.lower()}')"


def to_sql(query: Query | None, columns: Mapping[str, str]) -> tuple[str, list[Any]]:
    """Return `(where_clause, params)` for `query`; `("TRUE", [])` when there is none.

    `columns` maps each camelCase field to an SQL column expression, e.g.
    `{"workflowType": "w.workflow_name"}`. Integer fields must be integer columns.
    """
    if query is None:
        return "TRUE", []
    params: list[Any] = []
    return _clause(query, columns, params), params


def order_by(sort: list[tuple[str, bool]], columns: Mapping[str, str]) -> str:
    """Return `ORDER BY col ASC, ...` for `parse_sort`'s result, or "" when it is empty."""
    if not sort:
        return ""
    # NULLS FIRST on ascending keys mirrors SQLite, where NULL sorts before every value.
    terms = (
        f"{_column(field, columns)} {'ASC NULLS FIRST' if up else 'DESC NULLS LAST'}"
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


def _column(field: str, columns: Mapping[str, str]) -> str:
    try:
        return columns[field]
    except KeyError:
        raise BadRequest(f"The field {field!r} cannot be searched in this store") from None


def _clause(query: Query, columns: Mapping[str, str], params: list[Any]) -> str:
    if isinstance(query, Compare):
        return _condition(query, _column(query.field, columns), params)
    joiner = " AND " if isinstance(query, And) else " OR "
    return "(" + joiner.join(_clause(item, columns, params) for item in query.items) + ")"


def _condition(condition: Compare, column: str, params: list[Any]) -> str:
    op, values = condition.op, condition.values
    if op in _BINARY:
        params.append(values[0])
        return f"{column} {_BINARY[op]} %s"
    match op:
        case Op.IN:
            params.extend(values)
            return f"{column} IN ({', '.join('%s' for _ in values)})"
        case Op.BETWEEN:
            params.extend(values)
            return f"{column} BETWEEN %s AND %s"
        case Op.STARTS_WITH:
            # substr() counts characters, like Python's str.startswith; LIKE would fold case.
            params.extend((len(str(values[0])), values[0]))
            return f"substr({column}, 1, %s) = %s"
        case Op.LIKE | Op.NOT_LIKE:
            params.append(like_pattern(str(values[0])))
            negation = " NOT" if op is Op.NOT_LIKE else ""
            return f"{ascii_lower(column)}{negation} LIKE %s ESCAPE '\\'"
        case Op.IS_NULL:
            return f"{column} IS NULL"
        case Op.IS_NOT_NULL:
            return f"{column} IS NOT NULL"
    raise AssertionError(f"unhandled search operator {op!r}")  # pragma: no cover
