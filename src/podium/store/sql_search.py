"""The search-query translator both SQL stores share: a parsed `Query` to a `WHERE` clause.

Values only ever travel as parameters; the SQL text holds nothing but the column expressions
the store passes in, the operators and placeholders. Selected rows are exactly those that
`podium.model.search.matches` accepts: a NULL satisfies only `IS NULL`, `LIKE` folds ASCII case
only, text compares by code point and integers numerically. A `Dialect` supplies what differs
between SQLite and PostgreSQL: the placeholder and how to lower-case ASCII letters.

Totals are counted up to `MAX_TOTAL_HITS` (`count_sql`), and not at all when the page itself
shows where the matches end (`total_from_page`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from podium.errors import BadRequest
from podium.model.search import And, Compare, Op, Query, fold_case
from podium.store import MAX_TOTAL_HITS, AuditQuery

__all__ = [
    "AUDIT_COLUMNS",
    "Dialect",
    "Paging",
    "audit_where",
    "column_of",
    "count_sql",
    "like_pattern",
    "total_from_page",
    "where_clause",
]

_BINARY = {Op.EQ: "=", Op.NE: "<>", Op.GT: ">", Op.LT: "<", Op.GE: ">=", Op.LE: "<="}


@dataclass(frozen=True, slots=True)
class Dialect:
    """What one SQL database spells differently."""

    mark: str
    """The parameter placeholder: `?` or `%s`."""
    lower: Callable[[str], str]
    """SQL lower-casing the ASCII letters of an expression (and, ideally, nothing else)."""


def like_pattern(wildcard: str) -> str:
    """Turn a user's `*` wildcard into a lower-case LIKE pattern with `ESCAPE '\\'`."""
    escaped = wildcard.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return fold_case(escaped.replace("*", "%"))


def column_of(field: str, columns: Mapping[str, str]) -> str:
    """The SQL column of a searchable field (a clear 400 for any other field)."""
    try:
        return columns[field]
    except KeyError:
        raise BadRequest(f"The field {field!r} cannot be searched in this store") from None


class Paging(Protocol):
    """A request for one page: a `SearchRequest`, an `AuditQuery`."""

    @property
    def start(self) -> int: ...

    @property
    def size(self) -> int: ...


def count_sql(base: str, mark: str) -> str:
    """`SELECT` counting the rows of `base` (`FROM ... WHERE ...`), up to a limit parameter."""
    # The LIMIT lets the database stop after MAX_TOTAL_HITS rows instead of reading them all.
    return f"SELECT count(*) FROM (SELECT 1 {base} LIMIT {mark}) AS hits"


def total_from_page(request: Paging, found: int) -> int | None:
    """The total a page of `found` rows proves, or None when the matches must be counted.

    A page shorter than asked for holds the last matches (unless it is empty past the first).
    """
    start = max(request.start, 0)
    if found < request.size and (found > 0 or start == 0):
        return min(start + found, MAX_TOTAL_HITS)
    return None


AUDIT_COLUMNS = "at, principal, address, method, path, resource, status, node, seq"
"""The columns of `audit_log` in the order of `AuditRecord`'s fields."""


def audit_where(query: AuditQuery, mark: str) -> tuple[str, list[Any]]:
    """`(WHERE clause or "", params)` selecting the `audit_log` rows `query` asks for.

    A filter left out adds no condition: `since` 0 (the epoch) and `until` 0 or less bound
    nothing, and an `at >= 0` would only tempt the planner away from reading the primary key
    backwards, newest first.
    """
    conditions: list[str] = []
    params: list[Any] = []
    for condition, value, given in (
        (f"at >= {mark}", query.since, query.since != 0),
        (f"at <= {mark}", query.until, query.until > 0),
        (f"principal = {mark}", query.principal, query.principal is not None),
        (f"resource = {mark}", query.resource, query.resource is not None),
    ):
        if given:
            conditions.append(condition)
            params.append(value)
    return (f"WHERE {' AND '.join(conditions)}" if conditions else ""), params


def where_clause(
    query: Query, columns: Mapping[str, str], dialect: Dialect
) -> tuple[str, list[Any]]:
    """`(clause, params)` selecting the rows `query` matches."""
    params: list[Any] = []
    return _clause(query, columns, dialect, params), params


def _clause(query: Query, columns: Mapping[str, str], dialect: Dialect, params: list[Any]) -> str:
    if isinstance(query, Compare):
        return _condition(query, column_of(query.field, columns), dialect, params)
    joiner = " AND " if isinstance(query, And) else " OR "
    parts = (_clause(item, columns, dialect, params) for item in query.items)
    return "(" + joiner.join(parts) + ")"


def _condition(condition: Compare, column: str, dialect: Dialect, params: list[Any]) -> str:
    op, values, mark = condition.op, condition.values, dialect.mark
    if op in _BINARY:
        params.append(values[0])
        return f"{column} {_BINARY[op]} {mark}"
    match op:
        case Op.IN:
            params.extend(values)
            return f"{column} IN ({', '.join(mark for _ in values)})"
        case Op.BETWEEN:
            params.extend(values)
            return f"{column} BETWEEN {mark} AND {mark}"
        case Op.STARTS_WITH:
            # substr() counts characters, like Python's str.startswith; LIKE would fold case.
            params.extend((len(str(values[0])), values[0]))
            return f"substr({column}, 1, {mark}) = {mark}"
        case Op.LIKE | Op.NOT_LIKE:
            params.append(like_pattern(str(values[0])))
            negation = " NOT" if op is Op.NOT_LIKE else ""
            # Lower-casing both sides keeps SQLite's `PRAGMA case_sensitive_like` out of it.
            return f"{dialect.lower(column)}{negation} LIKE {mark} ESCAPE '\\'"
        case Op.IS_NULL:
            return f"{column} IS NULL"
        case Op.IS_NOT_NULL:
            return f"{column} IS NOT NULL"
    raise AssertionError(f"unhandled search operator {op!r}")  # pragma: no cover
