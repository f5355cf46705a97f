"""The `query`, `sort` and `freeText` parameters of `/api/workflow/search` and `/api/tasks/search`.

The query language is the Elasticsearch backend's (`es7-persistence/.../query/parser`), richer
than Conductor's SQL backends, which only split on `AND`::

    expr      := term ( (AND|OR) term )*        AND binds tighter than OR
    term      := '(' expr ')' | field op value
    op        := = | != | > | < | >= | <= | IN | IS | BETWEEN | STARTS_WITH
    value     := "double-quoted" | 'single-quoted' | bare token
    IN (v1, v2, ...)    BETWEEN v1 AND v2 (inclusive)    IS null | IS not null

Keywords are case-insensitive, field names are not. In quotes a backslash escapes the quote and
itself. A `*` in the value of `=` or `!=` is an ASCII-case-insensitive wildcard. `*Time` fields
(epoch ms), `version` and `priority` compare as integers, the others as strings. A missing value
satisfies only `IS null`, as SQL's NULL does. Where Conductor silently ignores what it does not
understand, every mistake here is a `BadRequest` naming its (0-based) position or the fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeAlias

from podium.errors import BadRequest

__all__ = [
    "MAX_CONDITIONS",
    "MAX_DEPTH",
    "MAX_QUERY_LENGTH",
    "TASK_FIELDS",
    "WORKFLOW_FIELDS",
    "And",
    "Compare",
    "Op",
    "Or",
    "Query",
    "Value",
    "fold_case",
    "free_text_matches",
    "free_text_needle",
    "is_integer_field",
    "matches",
    "parse_query",
    "parse_sort",
]

WORKFLOW_FIELDS: frozenset[str] = frozenset(
    {
        "workflowId",
        "correlationId",
        "workflowType",
        "status",
        "startTime",
        "endTime",
        "updateTime",
        "parentWorkflowId",
        "version",
        "priority",
        "idempotencyKey",
        "createdBy",
    }
)
TASK_FIELDS: frozenset[str] = frozenset(
    {
        "taskId",
        "taskType",
        "taskDefName",
        "status",
        "workflowId",
        "workflowType",
        "startTime",
        "endTime",
        "updateTime",
        "scheduledTime",
        "referenceTaskName",
        "domain",
        "workerId",
    }
)

# Bounds keep the generated SQL far below SQLite's limits (expression depth 1000, LIKE pattern
# 50,000 bytes) and the recursive parser far below Python's recursion limit.
MAX_QUERY_LENGTH = 12_000
MAX_DEPTH = 32
MAX_CONDITIONS = 256

_INTEGER_FIELDS = frozenset({"version", "priority"})
_INTEGER = re.compile(r"[+-]?[0-9]+")
_INT64_LIMIT = 2**63
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class Op(StrEnum):
    """A comparison operator, after the parser resolved wildcards and `IS`."""

    EQ = "="
    NE = "!="
    GT = ">"
    LT = "<"
    GE = ">="
    LE = "<="
    IN = "IN"
    BETWEEN = "BETWEEN"
    STARTS_WITH = "STARTS_WITH"
    LIKE = "LIKE"  # `=` whose value holds a `*` wildcard
    NOT_LIKE = "NOT_LIKE"  # `!=` whose value holds a `*` wildcard
    IS_NULL = "IS_NULL"
    IS_NOT_NULL = "IS_NOT_NULL"


Value: TypeAlias = str | int


@dataclass(frozen=True, slots=True)
class Compare:
    """One condition. `values` are ints for integer fields; LIKE values keep the user's `*`."""

    field: str
    op: Op
    values: tuple[Value, ...] = ()


@dataclass(frozen=True, slots=True)
class And:
    """All of `items` hold (at least two; nested `And`s are flattened)."""

    items: tuple[Query, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """Any of `items` holds (at least two; nested `Or`s are flattened)."""

    items: tuple[Query, ...]


Query: TypeAlias = Compare | And | Or


def is_integer_field(field: str) -> bool:
    """Whether `field` holds an integer (epoch milliseconds for `*Time` fields)."""
    return field.endswith("Time") or field in _INTEGER_FIELDS


def fold_case(text: str) -> str:
    """Lower-case ASCII letters only, exactly as SQLite's `LOWER()` and `LIKE` do."""
    return text.translate(_ASCII_LOWER)


# --------------------------------------------------------------------------------- tokenizer


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # a group name of _TOKEN, or "end"
    text: str
    pos: int

    def is_keyword(self, word: str) -> bool:
        return self.kind == "word" and self.text.upper() == word

    def is_symbol(self, symbol: str) -> bool:
        return self.kind == "symbol" and self.text == symbol


# A token and the whitespace after it. In quotes, a backslash escapes the quote and itself;
# any other backslash is kept as is.
_TOKEN = re.compile(
    r"""(?:(?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')"""
    r"""|(?P<symbol>>=|<=|!=|[=<>(),])|(?P<word>[^\s()=!<>,'"]+))\s*""",
    re.DOTALL,
)
_ESCAPED = {'"': re.compile(r'\\([\\"])'), "'": re.compile(r"\\([\\'])")}


def _syntax_error(text: str, pos: int, problem: str) -> BadRequest:
    near = f"near {text[pos : pos + 20]!r}" if pos < len(text) else "at the end of the query"
    return BadRequest(f"Invalid search query at position {pos}: {problem} ({near})")


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = len(text) - len(text.lstrip())
    while pos < len(text):
        found = _TOKEN.match(text, pos)
        if found is None or found.lastgroup is None:
            unclosed = text[pos] in "'\""
            problem = "this quoted value is never closed" if unclosed else "unexpected character"
            raise _syntax_error(text, pos, problem)
        kind, value = found.lastgroup, found.group(found.lastgroup)
        if kind == "string":
            value = _ESCAPED[value[0]].sub(r"\1", value[1:-1])
        tokens.append(_Token(kind, value, pos))
        pos = found.end()
    return [*tokens, _Token("end", "", len(text))]


# ------------------------------------------------------------------------------------ parser

_COMPARISONS = {"=": Op.EQ, "!=": Op.NE, ">": Op.GT, "<": Op.LT, ">=": Op.GE, "<=": Op.LE}
_WILDCARDS = {Op.EQ: Op.LIKE, Op.NE: Op.NOT_LIKE}


class _Parser:
    """A recursive-descent parser over the token list; one instance per query."""

    def __init__(self, text: str, fields: frozenset[str]) -> None:
        self._text = text
        self._fields = fields
        self._tokens = _tokenize(text)
        self._index = 0
        self._depth = 0
        self._conditions = 0

    def parse(self) -> Query:
        query = self._or()
        token = self._next()
        if token.kind != "end":
            raise self._error(token, "expected AND, OR or the end of the query")
        return query

    def _or(self) -> Query:
        items = [self._and()]
        while self._peek().is_keyword("OR"):
            self._next()
            items.append(self._and())
        return _combine(Or, items)

    def _and(self) -> Query:
        items = [self._term()]
        while self._peek().is_keyword("AND"):
            self._next()
            items.append(self._term())
        return _combine(And, items)

    def _term(self) -> Query:
        opening = self._peek()
        if not opening.is_symbol("("):
            return self._condition()
        self._next()
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise self._error(opening, f"parentheses nest deeper than {MAX_DEPTH} levels")
        query = self._or()
        self._expect(")", f"expected ')' to close the '(' at position {opening.pos}")
        self._depth -= 1
        return query

    def _condition(self) -> Compare:
        field = self._field()
        token = self._next()
        if token.kind == "symbol" and token.text in _COMPARISONS:
            return self._comparison(field, _COMPARISONS[token.text])
        parsers: dict[str, Callable[[str], Compare]] = {
            "IN": self._in,
            "BETWEEN": self._between,
            "IS": self._is,
            "STARTS_WITH": self._starts_with,
        }
        if token.kind == "word" and token.text.upper() in parsers:
            return parsers[token.text.upper()](field)
        ops = "=, !=, >, <, >=, <=, IN, IS, BETWEEN or STARTS_WITH"
        raise self._error(token, f"expected an operator ({ops}) after {field!r}")

    def _field(self) -> str:
        token = self._next()
        if token.kind != "word" or token.text.upper() in ("AND", "OR"):
            raise self._error(token, "expected a field name")
        if token.text not in self._fields:
            allowed = ", ".join(sorted(self._fields))
            raise BadRequest(
                f"Unknown search field {token.text!r} at position {token.pos}; "
                f"allowed fields: {allowed}"
            )
        self._conditions += 1
        if self._conditions > MAX_CONDITIONS:
            raise self._error(token, f"a query may hold at most {MAX_CONDITIONS} conditions")
        return token.text

    def _comparison(self, field: str, op: Op) -> Compare:
        _, value = self._value(field)
        if op in _WILDCARDS and isinstance(value, str) and "*" in value:
            op = _WILDCARDS[op]
        return Compare(field, op, (value,))

    def _in(self, field: str) -> Compare:
        self._expect("(", "expected '(' after IN")
        values = [self._value(field)[1]]
        while self._peek().is_symbol(","):
            self._next()
            values.append(self._value(field)[1])
        self._expect(")", "expected ',' or ')' in the IN list")
        return Compare(field, Op.IN, tuple(values))

    def _between(self, field: str) -> Compare:
        low = self._value(field)[1]
        token = self._next()
        if not token.is_keyword("AND"):
            raise self._error(token, "expected AND in 'BETWEEN low AND high'")
        return Compare(field, Op.BETWEEN, (low, self._value(field)[1]))

    def _is(self, field: str) -> Compare:
        token = self._next()
        if token.is_keyword("NULL"):
            return Compare(field, Op.IS_NULL)
        if token.is_keyword("NOT"):
            token = self._next()
            if token.is_keyword("NULL"):
                return Compare(field, Op.IS_NOT_NULL)
        raise self._error(token, "expected 'null' or 'not null' after IS")

    def _starts_with(self, field: str) -> Compare:
        token, value = self._value(field)
        if isinstance(value, int):
            raise self._error(token, f"STARTS_WITH does not apply to the integer field {field!r}")
        return Compare(field, Op.STARTS_WITH, (value,))

    def _value(self, field: str) -> tuple[_Token, Value]:
        token = self._next()
        if token.kind not in ("word", "string"):
            raise self._error(token, f"expected a value for {field!r}")
        if not is_integer_field(field):
            return token, token.text
        text = token.text.strip()
        if _INTEGER.fullmatch(text) and -_INT64_LIMIT <= int(text) < _INT64_LIMIT:
            return token, int(text)
        unit = "epoch milliseconds" if field.endswith("Time") else "an integer"
        raise self._error(token, f"{field!r} takes {unit}, not {token.text!r}")

    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _next(self) -> _Token:
        token = self._tokens[self._index]
        self._index = min(self._index + 1, len(self._tokens) - 1)
        return token

    def _expect(self, symbol: str, problem: str) -> None:
        token = self._next()
        if not token.is_symbol(symbol):
            raise self._error(token, problem)

    def _error(self, token: _Token, problem: str) -> BadRequest:
        return _syntax_error(self._text, token.pos, problem)


def _combine(kind: type[And] | type[Or], items: list[Query]) -> Query:
    if len(items) == 1:
        return items[0]
    flat = (part for item in items for part in (item.items if isinstance(item, kind) else (item,)))
    return kind(tuple(flat))


def parse_query(query: str | None, fields: frozenset[str]) -> Query | None:
    """Parse a search `query` over `fields`; None when it is empty. Raises `BadRequest`."""
    if query is None or not query.strip():
        return None
    if len(query) > MAX_QUERY_LENGTH:
        raise BadRequest(f"The search query is longer than {MAX_QUERY_LENGTH} characters")
    return _Parser(query, fields).parse()


def parse_sort(sort: str | None, fields: frozenset[str]) -> list[tuple[str, bool]]:
    """Parse `a:ASC|b:DESC` (or `,`-separated) into `[(field, ascending)]`; ASC by default."""
    result: list[tuple[str, bool]] = []
    for part in re.split(r"[|,]", sort or ""):
        name, _, direction = (piece.strip() for piece in part.partition(":"))
        if not name:
            continue
        if name not in fields:
            allowed = ", ".join(sorted(fields))
            raise BadRequest(f"Unknown sort field {name!r}; allowed fields: {allowed}")
        if direction.upper() not in ("", "ASC", "DESC"):
            raise BadRequest(f"Sort direction of {name!r} must be ASC or DESC, not {direction!r}")
        result.append((name, direction.upper() != "DESC"))
    return result


# ----------------------------------------------------------------------------------- matcher


@lru_cache(maxsize=256)
def _like(pattern: str) -> re.Pattern[str]:
    parts = (re.escape(part) for part in fold_case(pattern).split("*"))
    return re.compile(".*".join(parts), re.DOTALL)


_Check: TypeAlias = Callable[[Any, tuple[Any, ...]], bool]
_CHECKS: dict[Op, _Check] = {
    Op.EQ: lambda value, args: bool(value == args[0]),
    Op.NE: lambda value, args: bool(value != args[0]),
    Op.GT: lambda value, args: bool(value > args[0]),
    Op.LT: lambda value, args: bool(value < args[0]),
    Op.GE: lambda value, args: bool(value >= args[0]),
    Op.LE: lambda value, args: bool(value <= args[0]),
    Op.IN: lambda value, args: value in args,
    Op.BETWEEN: lambda value, args: bool(args[0] <= value <= args[1]),
    Op.STARTS_WITH: lambda value, args: bool(value.startswith(args[0])),
    Op.LIKE: lambda value, args: _like(args[0]).fullmatch(fold_case(value)) is not None,
    Op.NOT_LIKE: lambda value, args: _like(args[0]).fullmatch(fold_case(value)) is None,
}


def _row_value(field: str, raw: Any) -> Value | None:
    if not is_integer_field(field):
        return str(raw)
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _matches_condition(condition: Compare, raw: Any) -> bool:
    if condition.op is Op.IS_NULL or raw is None:
        # As in SQL, a NULL satisfies IS NULL and nothing else, not even `!=`.
        return condition.op is Op.IS_NULL and raw is None
    if condition.op is Op.IS_NOT_NULL:
        return True
    value = _row_value(condition.field, raw)
    return value is not None and _CHECKS[condition.op](value, condition.values)


def matches(query: Query | None, row: Mapping[str, Any]) -> bool:
    """Whether `row` (camelCase field -> value) satisfies `query`; what `to_sql` selects."""
    if query is None:
        return True
    if isinstance(query, And):
        return all(matches(item, row) for item in query.items)
    if isinstance(query, Or):
        return any(matches(item, row) for item in query.items)
    return _matches_condition(query, row.get(query.field))


def free_text_needle(free_text: str | None) -> str | None:
    """The case-folded substring `freeText` asks for; None when it matches everything."""
    needle = (free_text or "").strip().strip("*").strip()
    return fold_case(needle) if needle else None


def free_text_matches(free_text: str | None, text: str) -> bool:
    """Whether `text` contains `freeText` ignoring ASCII case; `None`, `""` and `*` match all."""
    needle = free_text_needle(free_text)
    return needle is None or needle in fold_case(text)
