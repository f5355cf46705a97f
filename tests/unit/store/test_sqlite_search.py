"""The SQLite translation of search queries selects exactly what the in-memory matcher accepts."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podium.errors import BadRequest
from podium.model.search import (
    WORKFLOW_FIELDS,
    Compare,
    Op,
    Query,
    free_text_matches,
    is_integer_field,
    matches,
    parse_query,
    parse_sort,
)
from podium.store.sqlite.search import free_text_to_sql, like_pattern, order_by, to_sql

COLUMNS = {
    "workflowId": "w.workflow_id",
    "correlationId": "w.correlation_id",
    "workflowType": "w.workflow_name",
    "status": "w.status",
    "startTime": "w.start_time",
    "endTime": "w.end_time",
    "updateTime": "w.update_time",
    "parentWorkflowId": "w.parent_workflow_id",
    "version": "w.version",
    "priority": "w.priority",
    "idempotencyKey": "w.idempotency_key",
    "createdBy": "w.created_by",
}


def _column_type(field: str) -> str:
    return "INTEGER" if is_integer_field(field) else "TEXT"


SCHEMA = "CREATE TABLE workflow (doc TEXT, {})".format(
    ", ".join(f"{column[2:]} {_column_type(field)}" for field, column in COLUMNS.items())
)


@pytest.fixture
def db() -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(":memory:")) as connection:
        connection.execute(SCHEMA)
        yield connection


def insert(db: sqlite3.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    fields = list(COLUMNS)
    names = ", ".join(COLUMNS[field][2:] for field in fields)
    marks = ", ".join("?" for _ in fields)
    db.executemany(
        f"INSERT INTO workflow (rowid, doc, {names}) VALUES (?, ?, {marks})",
        [(i, str(row), *(row.get(field) for field in fields)) for i, row in enumerate(rows)],
    )


def select(db: sqlite3.Connection, query: Query | None, sort: str = "") -> list[int]:
    where, params = to_sql(query, COLUMNS)
    order = order_by(parse_sort(sort, WORKFLOW_FIELDS), COLUMNS)
    sql = f"SELECT w.rowid FROM workflow AS w WHERE {where} {order}"
    return [rowid for (rowid,) in db.execute(sql, params)]


def parse(query: str) -> Query:
    parsed = parse_query(query, WORKFLOW_FIELDS)
    assert parsed is not None
    return parsed


# ------------------------------------------------------------------------------ generated SQL


def test_no_query_selects_everything() -> None:
    assert to_sql(None, COLUMNS) == ("1=1", [])


@pytest.mark.parametrize(
    ("query", "sql", "params"),
    [
        ("workflowType IN (A,B)", "w.workflow_name IN (?, ?)", ["A", "B"]),
        ('workflowId="abc"', "w.workflow_id = ?", ["abc"]),
        (
            "workflowType='wf' AND status='COMPLETED'",
            "(w.workflow_name = ? AND w.status = ?)",
            ["wf", "COMPLETED"],
        ),
        ("startTime > 1700000000000", "w.start_time > ?", [1_700_000_000_000]),
        ("status != A", "w.status <> ?", ["A"]),
        ("version BETWEEN 1 AND 2", "w.version BETWEEN ? AND ?", [1, 2]),
        ("endTime IS null", "w.end_time IS NULL", []),
        ("endTime IS NOT null", "w.end_time IS NOT NULL", []),
        ("workflowId STARTS_WITH ab", "substr(w.workflow_id, 1, ?) = ?", [2, "ab"]),
        ("workflowType = Or*", "LOWER(w.workflow_name) LIKE ? ESCAPE '\\'", ["or%"]),
        ("workflowType != *x", "LOWER(w.workflow_name) NOT LIKE ? ESCAPE '\\'", ["%x"]),
        (
            "status = A OR status = B AND version < 3",
            "(w.status = ? OR (w.status = ? AND w.version < ?))",
            ["A", "B", 3],
        ),
    ],
)
def test_to_sql(query: str, sql: str, params: list[Any]) -> None:
    assert to_sql(parse(query), COLUMNS) == (sql, params)


def test_values_never_reach_the_sql_text() -> None:
    evil = "x' OR '1'='1"
    where, params = to_sql(parse(f'correlationId = "{evil}" OR workflowId IN ("{evil}")'), COLUMNS)
    assert "'1'" not in where
    assert params == [evil, evil]


def test_like_pattern_escapes_sql_wildcards() -> None:
    assert like_pattern("A%b_c\\d*") == "a\\%b\\_c\\\\d%"


def test_a_field_the_store_cannot_search_is_a_bad_request() -> None:
    with pytest.raises(BadRequest, match="'createdBy' cannot be searched"):
        to_sql(parse("createdBy = me"), {"status": "w.status"})


def test_order_by() -> None:
    assert order_by([], COLUMNS) == ""
    sort = parse_sort("workflowId:ASC|startTime:DESC", WORKFLOW_FIELDS)
    assert order_by(sort, COLUMNS) == "ORDER BY w.workflow_id ASC, w.start_time DESC"


# ------------------------------------------------------------------------ against real SQLite

ROWS: list[dict[str, Any]] = [
    {"workflowId": "wf-1", "workflowType": "OrderFlow", "status": "RUNNING", "startTime": 3},
    {"workflowId": "wf-2", "workflowType": "order_flow", "status": "COMPLETED", "startTime": 1},
    {"workflowId": "WF-3", "workflowType": "Ship_50%", "status": "FAILED", "endTime": 9},
    {"workflowId": "wf-4", "workflowType": "ship\\it", "correlationId": "x' OR '1'='1"},
]


@pytest.mark.parametrize(
    ("query", "rowids"),
    [
        ("workflowType = order*", [0, 1]),
        ("workflowType = order_*", [1]),  # `_` is literal, not LIKE's any-character
        ("workflowType = *50%", [2]),  # `%` is literal too
        ("workflowType = ship\\*", [3]),
        ("workflowType = SHIP*", [2, 3]),
        ("workflowType != order*", [2, 3]),  # NULL-free rows only
        ("correlationId = \"x' OR '1'='1\"", [3]),
        ("correlationId != y", [3]),
        ("endTime IS null", [0, 1, 3]),
        ("workflowId STARTS_WITH wf", [0, 1, 3]),
        ("startTime BETWEEN 1 AND 3", [0, 1]),
    ],
)
def test_sqlite_selects_what_matches_accepts(
    db: sqlite3.Connection, query: str, rowids: list[int]
) -> None:
    insert(db, ROWS)
    parsed = parse(query)
    assert sorted(select(db, parsed)) == rowids
    assert [i for i, row in enumerate(ROWS) if matches(parsed, row)] == rowids


def test_case_sensitive_like_pragma_does_not_change_wildcards(db: sqlite3.Connection) -> None:
    insert(db, ROWS)
    db.execute("PRAGMA case_sensitive_like = ON")
    assert sorted(select(db, parse("workflowType = ORDER*"))) == [0, 1]


def test_order_by_sorts_nulls_first_ascending(db: sqlite3.Connection) -> None:
    insert(db, ROWS)
    assert select(db, None, "startTime:ASC|workflowId:DESC") == [3, 2, 1, 0]
    assert select(db, None, "startTime:DESC,workflowId") == [0, 1, 2, 3]


@pytest.mark.parametrize("free_text", [None, "*", "order", "ORDER", "*flow*", "'1'='1", "zzz"])
def test_free_text_sql_selects_what_free_text_matches_accepts(
    db: sqlite3.Connection, free_text: str | None
) -> None:
    insert(db, ROWS)
    where, params = free_text_to_sql(free_text, "w.doc")
    found = [
        rowid for (rowid,) in db.execute(f"SELECT rowid FROM workflow w WHERE {where}", params)
    ]
    assert sorted(found) == [
        i for i, row in enumerate(ROWS) if free_text_matches(free_text, str(row))
    ]


# --------------------------------------------------------------------- property: SQL == memory

TEXT_FIELDS = ["workflowId", "workflowType", "status"]
INT_FIELDS = ["startTime", "version"]
TEXTS = ["RUNNING", "running", "a", "A", "ab", "aB", "a%b", "a_b", "a\\b", "É", "é", "", "it's"]
PATTERNS = ["*", "a*", "A*", "*b", "A*B", "*%*", "*_*", "a\\*", "*É*", "*é*", "R*NG", "**"]
INTS = [-1, 0, 1, 9, 10, 1_700_000_000_000]
# Mostly known values, so that conditions often hold; sometimes odd characters.
text_values = (
    st.sampled_from(TEXTS) | st.sampled_from(TEXTS) | st.text("aAbÉé%_\\*'\" (),=", max_size=3)
)
int_values = st.sampled_from(INTS)


def render(value: str | int, draw: st.DrawFn) -> str:
    text = str(value)
    if text and draw(st.booleans()) and all(c.isalnum() or c in "-_%*\\" for c in text):
        return text
    mark = draw(st.sampled_from(['"', "'"]))
    return mark + text.replace("\\", "\\\\").replace(mark, "\\" + mark) + mark


@st.composite
def conditions(draw: st.DrawFn) -> str:
    field = draw(st.sampled_from(TEXT_FIELDS + INT_FIELDS))
    if field in TEXT_FIELDS and draw(st.booleans()):
        pattern = render(draw(st.sampled_from(PATTERNS)), draw)
        return f"{field} {draw(st.sampled_from(['=', '!=']))} {pattern}"
    values: st.SearchStrategy[str | int] = (
        int_values if field in INT_FIELDS else text_values | st.sampled_from(PATTERNS)
    )
    op = draw(st.sampled_from(["=", "!=", ">", "<", ">=", "<=", "IN", "BETWEEN", "IS", "STARTS"]))
    if op == "IN":
        items = draw(st.lists(values, min_size=1, max_size=3))
        return f"{field} IN ({', '.join(render(item, draw) for item in items)})"
    if op == "BETWEEN":
        return f"{field} BETWEEN {render(draw(values), draw)} AND {render(draw(values), draw)}"
    if op == "IS":
        return f"{field} IS {draw(st.sampled_from(['null', 'NOT NULL', 'not Null']))}"
    if op == "STARTS" and field in TEXT_FIELDS:
        return f"{field} STARTS_WITH {render(draw(text_values), draw)}"
    return f"{field} {'=' if op == 'STARTS' else op} {render(draw(values), draw)}"


def combine(parts: tuple[str, str, str, bool]) -> str:
    left, connective, right, grouped = parts
    return f"({left}) {connective} ({right})" if grouped else f"{left} {connective} {right}"


queries = st.recursive(
    conditions(),
    lambda inner: st.tuples(inner, st.sampled_from(["AND", "OR", "and"]), inner, st.booleans()).map(
        combine
    ),
    max_leaves=6,
)
rows = st.fixed_dictionaries(
    {field: st.none() | text_values for field in TEXT_FIELDS}
    | {field: st.none() | int_values for field in INT_FIELDS}
)


@settings(max_examples=500, deadline=None)
@given(queries, st.lists(rows, min_size=3, max_size=10), st.booleans())
def test_sqlite_and_matches_agree(
    query: str, generated: list[dict[str, Any]], case_sensitive_like: bool
) -> None:
    parsed = parse(query)
    with closing(sqlite3.connect(":memory:")) as db:
        db.execute(SCHEMA)
        db.execute(f"PRAGMA case_sensitive_like = {int(case_sensitive_like)}")
        insert(db, generated)
        expected = [i for i, row in enumerate(generated) if matches(parsed, row)]
        assert sorted(select(db, parsed)) == expected


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(PATTERNS) | st.text("aAÉé%_\\*", max_size=4).map(lambda text: f"{text}*"),
    st.lists(text_values, min_size=1, max_size=6),
    st.sampled_from([Op.LIKE, Op.NOT_LIKE]),
    st.booleans(),
)
def test_wildcards_agree(
    pattern: str, values: list[str], op: Op, case_sensitive_like: bool
) -> None:
    parsed = Compare("status", op, (pattern,))
    generated = [{"status": value} for value in values]
    with closing(sqlite3.connect(":memory:")) as db:
        db.execute(SCHEMA)
        db.execute(f"PRAGMA case_sensitive_like = {int(case_sensitive_like)}")
        insert(db, generated)
        expected = [i for i, row in enumerate(generated) if matches(parsed, row)]
        assert sorted(select(db, parsed)) == expected


@settings(max_examples=100, deadline=None)
@given(rows, st.sampled_from(TEXT_FIELDS))
def test_a_value_between_stars_selects_its_own_row(row: dict[str, Any], field: str) -> None:
    # Whatever `%`, `_`, `\\` or non-ASCII letters the value holds, it must match itself.
    value = row[field]
    if value is None:
        return
    parsed = Compare(field, Op.LIKE, (f"*{value}*",))
    assert matches(parsed, row)
    with closing(sqlite3.connect(":memory:")) as db:
        db.execute(SCHEMA)
        insert(db, [row])
        assert select(db, parsed) == [0]
