"""PostgreSQL search SQL: free text selects what `free_text_matches` accepts, index or not."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import orjson
import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podium.model.search import WORKFLOW_FIELDS, free_text_matches, parse_sort
from podium.store.postgres import PostgresStore
from podium.store.postgres.search import free_text_to_sql, order_by
from podium.store.postgres.searching import NULLABLE_COLUMNS
from podium.store.sqlite.searching import TASK_COLUMNS, WORKFLOW_COLUMNS
from tests.support.postgres import postgres_database

DOCS = [
    {"workflowId": "6f1c2e4a-9b7d-4c1e-8f3a-2d5b7c9e1a0f", "input": {"customer": "Alice Martin"}},
    {"workflowId": "wf-2", "input": {"customer": "alice cooper", "author": "Émile Zola"}},
    {"workflowId": "wf-3", "input": {"note": "50% off_price \\ back-slash", "order": "Order-123"}},
    {"workflowId": "wf-4", "reasonForIncompletion": "it's DECLINED (code 51)", "tags": ["x"]},
    {"workflowId": "wf-5", "input": {}},
]
BODIES = [orjson.dumps(doc) for doc in DOCS]
NEEDLES = [
    None,
    "*",
    "alice",
    "ALICE",
    "*martin*",
    "alice martin",  # a phrase
    "martin*alice",  # a `*` inside the text is a character like any other
    "6F1C2E4A-9B7D-4C1E-8F3A-2D5B7C9E1A0F",
    '"customer":"alice',
    "Order-123",
    "50% off_",
    "\\ back",
    "%",
    "_",
    "Émile",
    "émile",
    "it's",
    "51",  # shorter than a trigram: no index can help, the answer is the same
    "x",
    "zzz",
]


@pytest.fixture(scope="module")
def conn() -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A migrated database with the bodies in `doc`, indexed like the `workflow` table."""
    with postgres_database() as url:
        asyncio.run(_migrate(url))
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("CREATE TABLE doc (id INTEGER PRIMARY KEY, body BYTEA NOT NULL)")
            connection.execute(
                "CREATE INDEX doc_free_text ON doc"
                " USING gin (podium_search_text(body) gin_trgm_ops)"
            )
            for i, body in enumerate(BODIES):
                connection.execute("INSERT INTO doc VALUES (%s, %s)", (i, body))
            connection.execute("ANALYZE doc")
            yield connection


async def _migrate(url: str) -> None:
    store = PostgresStore(url, max_size=1)
    await store.open()
    await store.close()


def found(
    conn: psycopg.Connection[tuple[object, ...]], free_text: str | None, *, index: bool
) -> list[int]:
    where, params = free_text_to_sql(free_text, "d.body")
    with conn.transaction():
        # Tiny tables are scanned; forbidding scans makes the trigram index answer instead.
        conn.execute(f"SET LOCAL enable_seqscan = {'off' if index else 'on'}")
        conn.execute(f"SET LOCAL enable_bitmapscan = {'on' if index else 'off'}")
        rows = conn.execute(f"SELECT d.id FROM doc d WHERE {where} ORDER BY d.id", params)
        return [int(str(r[0])) for r in rows.fetchall()]


def expected(free_text: str | None) -> list[int]:
    return [i for i, body in enumerate(BODIES) if free_text_matches(free_text, body.decode())]


@pytest.mark.parametrize("index", [False, True], ids=["scan", "trigram-index"])
@pytest.mark.parametrize("free_text", NEEDLES)
def test_free_text_selects_what_free_text_matches_accepts(
    conn: psycopg.Connection[tuple[object, ...]], free_text: str | None, index: bool
) -> None:
    assert found(conn, free_text, index=index) == expected(free_text)


def test_the_trigram_index_answers_free_text(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    where, params = free_text_to_sql("alice martin", "d.body")
    with conn.transaction():
        conn.execute("SET LOCAL enable_seqscan = off")
        plan = conn.execute(f"EXPLAIN SELECT d.id FROM doc d WHERE {where}", params).fetchall()
    assert "doc_free_text" in "\n".join(str(line[0]) for line in plan)


@settings(max_examples=60, deadline=None)
@given(
    body=st.sampled_from(BODIES),
    start=st.integers(0, 80),
    length=st.integers(1, 12),
    upper=st.booleans(),
)
def test_any_piece_of_a_body_finds_what_the_memory_store_finds(
    conn: psycopg.Connection[tuple[object, ...]],
    body: bytes,
    start: int,
    length: int,
    upper: bool,
) -> None:
    piece = body.decode()[start : start + length]
    needle = piece.upper() if upper else piece
    assert found(conn, needle, index=True) == expected(needle)


def test_only_nullable_columns_say_where_nulls_sort() -> None:
    sort = parse_sort("correlationId:ASC|startTime:DESC", WORKFLOW_FIELDS)
    assert order_by(sort, WORKFLOW_COLUMNS, NULLABLE_COLUMNS) == (
        "ORDER BY w.correlation_id ASC NULLS FIRST, w.create_time DESC"
    )
    assert order_by([], WORKFLOW_COLUMNS, NULLABLE_COLUMNS) == ""


def test_nullable_columns_are_the_columns_the_schema_lets_be_null(
    conn: psycopg.Connection[tuple[object, ...]],
) -> None:
    rows = conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_name IN ('workflow', 'task') AND is_nullable = 'YES'"
    ).fetchall()
    nullable = {f"{str(table)[0]}.{column}" for table, column in rows}
    searched = {*WORKFLOW_COLUMNS.values(), *TASK_COLUMNS.values()}
    assert searched & nullable == NULLABLE_COLUMNS
