"""Translate a parsed search `Query` into a parameterised SQLite `WHERE` clause.

Values only ever travel as `?` parameters; the SQL text holds nothing but the column expressions
the store passes in, the operators and placeholders. Selected rows are exactly those that
`podium.model.search.matches` accepts: a NULL satisfies only `IS NULL`, `LIKE` folds ASCII case
only, text compares by code point (SQLite's BINARY collation) and integers numerically.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podium.errors import BadRequest
from podium.model.search import And, Compare, Op, Query, fold_case, free_text_needle

__all__ = ["free_text_to_sql", "like_pattern", "order_by", "to_sql"]

_BINARY = {Op.EQ: "=", Op.NE: "<>", Op.GT: ">", Op.LT: "<", Op.GE: ">=", Op.LE: "<="}


def to_sql(query: Query | None, columns: Mapping[str, str]) -> tuple[str, list[Any]]:
    """Return `(where_clause, params)` for `query`; `("1=1", [])` when there is none.

    `columns` maps each camelCase field to an SQL column expression, e.g.
    `{"workflowType": "w.workflow_name"}`. Integer fields must be INTEGER columns.
    """
    if query is None:
        return "1=1", []
    params: list[Any] = []
    return _clause(query, columns, params), params


def order_by(sort: list[tuple[str, bool]], columns: Mapping[str, str]) -> str:
    """Return `ORDER BY col ASC, ...` for `parse_sort`'s result, or "" when it is empty."""
    if not sort:
        return ""
    terms = (f"{_column(field, columns)} {'ASC' if up else 'DESC'}" for field, up in sort)
    return "ORDER BY " + ", ".join(terms)


def free_text_to_sql(free_text: str | None, column: str) -> tuple[str, list[Any]]:
    """Return the clause selecting rows whose `column` text holds `freeText` (ASCII case-blind).

    It selects what `podium.model.search.free_text_matches` accepts; `("1=1", [])` for `*`.
    """
    needle = free_text_needle(free_text)
    if needle is None:
        return "1=1", []
    return f"instr(LOWER({column}), ?) > 0", [needle]


def like_pattern(wildcard: str) -> str:
    """Turn a user's `*` wildcard into a lower-case LIKE pattern with `ESCAPE '\\'`."""
    escaped = wildcard.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return fold_case(escaped.replace("*", "%"))


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
        return f"{column} {_BINARY[op]} ?"
    match op:
        case Op.IN:
            params.extend(values)
            return f"{column} IN ({', '.join('?' for _ in values)})"
        case Op.BETWEEN:
            params.extend(values)
            return f"{column} BETWEEN ? AND ?"
        case Op.STARTS_WITH:
            # substr() counts characters, like Python's str.startswith; LIKE would fold case.
            params.extend((len(str(values[0])), values[0]))
            return f"substr({column}, 1, ?) = ?"
        case Op.LIKE | Op.NOT_LIKE:
            params.append(like_pattern(str(values[0])))
            negation = " NOT" if op is Op.NOT_LIKE else ""
            # LOWER() on both sides keeps `PRAGMA case_sensitive_like` from changing the result.
            return f"LOWER({column}){negation} LIKE ? ESCAPE '\\'"
        case Op.IS_NULL:
            return f"{column} IS NULL"
        case Op.IS_NOT_NULL:
            return f"{column} IS NOT NULL"
    raise AssertionError(f"unhandled search operator {op!r}")  # pragma: no cover
