"""The audit log: append-only, each record numbered by the store (`seq`, increasing), read
newest first, filtered by time, principal and resource, paged with a capped total."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from podium.store import MAX_TOTAL_HITS, AuditQuery, AuditRecord, Store
from podium.store.postgres import PostgresStore
from podium.store.sql_search import AUDIT_COLUMNS, audit_where
from podium.store.sqlite import SqliteStore
from tests.support.postgres import postgres_database

from .support import Run


class Boom(Exception):
    """Raised inside a unit of work to make it roll back."""


def record(
    path: str,
    at: int = 1_000,
    principal: str = "app:a",
    resource: str = "",
    *,
    status: int = 200,
) -> AuditRecord:
    """A request to `path` (the tests tell records apart by it) answered on node n1."""
    return AuditRecord(at, principal, "10.0.0.1", "POST", path, resource, status, "n1")


def paths(records: list[AuditRecord]) -> list[str]:
    return [r.path for r in records]


def unnumbered(records: list[AuditRecord]) -> list[AuditRecord]:
    return [dataclasses.replace(r, seq=0) for r in records]


def test_records_read_back_whole_newest_first_with_seq_increasing_across_transactions(
    run: Run,
) -> None:
    first = [
        record("/a", 5, "app:a", "workflow:w1", status=200),
        record("/b", 6, "alice", "", status=404),
    ]
    second = [record("/c", 7, "anonymous", "WORKFLOW_DEF:checkout", status=403)]

    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.append_audit(first)
            await tx.append_audit([])
        async with store.transaction() as tx:
            await tx.append_audit(second)
        async with store.transaction() as tx:
            page = await tx.audit_records(AuditQuery())
        assert page.total == 3
        assert unnumbered(page.items) == [*reversed(second), *reversed(first)]
        seqs = [r.seq for r in page.items]
        assert seqs[-1] > 0
        assert seqs == sorted(seqs, reverse=True)
        assert len(set(seqs)) == 3

    run(scenario)


def test_newest_means_the_last_appended_not_the_latest_time(run: Run) -> None:
    # Nodes' clocks differ: a record appended later may carry an earlier time.
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.append_audit([record("/first", 3_000), record("/second", 1_000)])
        async with store.transaction() as tx:
            await tx.append_audit([record("/third", 2_000)])
        async with store.transaction() as tx:
            page = await tx.audit_records(AuditQuery())
            assert paths(page.items) == ["/third", "/second", "/first"]
            timed = await tx.audit_records(AuditQuery(since=1_000, until=3_000))
            assert paths(timed.items) == ["/third", "/second", "/first"]

    run(scenario)


# Appended in this order (so newest first is the reverse); times are not in order.
LOG = [
    record("/1", 100, "app:a", "workflow:w1"),
    record("/2", 200, "app:ab", "workflow:w1"),
    record("/3", 300, "alice", "workflow:w2"),
    record("/4", 250, "app:a", "workflow:w2"),
    record("/5", 400, "APP:A", "workflow:w1"),
    record("/6", 500, "app:a", ""),
    record("/7", 600, "alice", "WORKFLOW:W1"),
]

FILTERS: list[tuple[AuditQuery, list[str]]] = [
    (AuditQuery(), ["/7", "/6", "/5", "/4", "/3", "/2", "/1"]),
    (AuditQuery(since=250), ["/7", "/6", "/5", "/4", "/3"]),  # at or after
    (AuditQuery(since=251), ["/7", "/6", "/5", "/3"]),
    (AuditQuery(since=601), []),
    (AuditQuery(until=250), ["/4", "/2", "/1"]),  # at or before
    (AuditQuery(until=249), ["/2", "/1"]),
    (AuditQuery(until=99), []),
    (AuditQuery(since=200, until=300), ["/4", "/3", "/2"]),
    (AuditQuery(since=250, until=250), ["/4"]),
    (AuditQuery(since=300, until=200), []),
    (AuditQuery(principal="app:a"), ["/6", "/4", "/1"]),  # exactly: not app:ab nor APP:A
    (AuditQuery(principal="app:"), []),
    (AuditQuery(principal="nobody"), []),
    (AuditQuery(resource="workflow:w1"), ["/5", "/2", "/1"]),  # exactly: not WORKFLOW:W1
    (AuditQuery(resource=""), ["/6"]),  # "" is a resource (none), not "any"
    (AuditQuery(resource="workflow:"), []),
    (AuditQuery(principal="app:a", resource="workflow:w2"), ["/4"]),
    (AuditQuery(principal="alice", since=300), ["/7", "/3"]),
    (AuditQuery(resource="workflow:w1", until=399), ["/2", "/1"]),
    (AuditQuery(since=150, until=450, principal="app:a", resource="workflow:w2"), ["/4"]),
    (AuditQuery(since=150, until=450, principal="app:a", resource="workflow:w1"), []),
]


def test_every_filter_alone_and_combined(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.append_audit(LOG)
        found: dict[int, tuple[int, list[str]]] = {}
        async with store.transaction() as tx:
            for n, (query, _) in enumerate(FILTERS):
                page = await tx.audit_records(query)
                found[n] = (page.total, paths(page.items))
        assert found == {n: (len(want), want) for n, (_, want) in enumerate(FILTERS)}

    run(scenario)


def test_paging_and_total(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.append_audit(LOG)
        async with store.transaction() as tx:

            async def page(query: AuditQuery) -> tuple[int, list[str]]:
                found = await tx.audit_records(query)
                return found.total, paths(found.items)

            assert await page(AuditQuery(size=3)) == (7, ["/7", "/6", "/5"])
            assert await page(AuditQuery(start=3, size=3)) == (7, ["/4", "/3", "/2"])
            assert await page(AuditQuery(start=6, size=3)) == (7, ["/1"])
            assert await page(AuditQuery(start=7, size=3)) == (7, [])
            assert await page(AuditQuery(start=50, size=3)) == (7, [])
            assert await page(AuditQuery(start=2, size=0)) == (7, [])
            assert await page(AuditQuery(start=0, size=7)) == (
                7,
                ["/7", "/6", "/5", "/4", "/3", "/2", "/1"],
            )
            assert await page(AuditQuery(start=1, size=100)) == (
                7,
                ["/6", "/5", "/4", "/3", "/2", "/1"],
            )
            # The total counts what the filters select, not the whole log.
            assert await page(AuditQuery(principal="app:a", size=2)) == (3, ["/6", "/4"])
            assert await page(AuditQuery(principal="app:a", start=2, size=2)) == (3, ["/1"])
            assert await page(AuditQuery(principal="app:a", start=3, size=2)) == (3, [])
            assert await page(AuditQuery(since=250, start=1, size=2)) == (5, ["/6", "/5"])

    run(scenario)


def test_the_total_stops_counting_at_the_cap(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.append_audit([record(f"/{n}", n) for n in range(MAX_TOTAL_HITS + 5)])
            await tx.append_audit([record("/other", 1, "alice")])
        async with store.transaction() as tx:
            page = await tx.audit_records(AuditQuery(size=2))
            assert (page.total, paths(page.items)) == (MAX_TOTAL_HITS, ["/other", "/10004"])
            page = await tx.audit_records(AuditQuery(principal="alice"))
            assert (page.total, paths(page.items)) == (1, ["/other"])
            page = await tx.audit_records(AuditQuery(since=MAX_TOTAL_HITS - 5, size=1))
            assert (page.total, paths(page.items)) == (10, ["/10004"])

    run(scenario)


def test_a_rolled_back_transaction_leaves_no_record(run: Run) -> None:
    async def failing(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.append_audit([record("/lost-1"), record("/lost-2", principal="bob")])
            # The transaction reads its own records until it rolls back.
            mine = await tx.audit_records(AuditQuery())
            assert paths(mine.items) == ["/lost-2", "/lost-1", "/kept"]
            raise Boom

    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.append_audit([record("/kept")])
        with pytest.raises(Boom):
            await failing(store)
        async with store.transaction() as tx:
            page = await tx.audit_records(AuditQuery())
            assert (page.total, paths(page.items)) == (1, ["/kept"])
            assert (await tx.audit_records(AuditQuery(principal="bob"))).total == 0
            kept = page.items[0].seq
            await tx.append_audit([record("/after")])
        async with store.transaction() as tx:
            page = await tx.audit_records(AuditQuery())
            assert paths(page.items) == ["/after", "/kept"]
            assert page.items[0].seq > kept

    run(scenario)


# -- the SQL stores: the database itself refuses to rewrite the log -----------------------------


def _append_two(store: Store) -> None:
    async def append() -> None:
        await store.open()
        try:
            async with store.transaction() as tx:
                await tx.append_audit([record("/a", 1), record("/b", 2)])
        finally:
            await store.close()

    asyncio.run(append())


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET status = 500",
        "UPDATE audit_log SET principal = 'someone-else' WHERE path = '/a'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE path = '/b'",
    ],
)
def test_sqlite_refuses_to_rewrite_the_audit_log(tmp_path: Path, statement: str) -> None:
    _append_two(SqliteStore(f"sqlite:///{tmp_path}/t.db"))
    with closing(sqlite3.connect(tmp_path / "t.db")) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="audit_log is append-only"):
            conn.execute(statement)
        conn.rollback()
        rows = conn.execute("SELECT path, principal, status FROM audit_log ORDER BY seq")
        assert rows.fetchall() == [("/a", "app:a", 200), ("/b", "app:a", 200)]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET status = 500",
        "UPDATE audit_log SET principal = 'someone-else' WHERE path = '/a'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE path = '/b'",
        "TRUNCATE audit_log",
    ],
)
def test_postgres_refuses_to_rewrite_the_audit_log(statement: str) -> None:
    with postgres_database() as url:
        _append_two(PostgresStore(url, max_size=1))
        with psycopg.connect(url) as conn:
            # Not even the retention purge's setting lets a row go (it covers history only).
            conn.execute("SELECT set_config('podium.retention', 'on', true)")
            with pytest.raises(psycopg.errors.RestrictViolation, match="audit_log is append-only"):
                conn.execute(statement)
            conn.rollback()
            rows = conn.execute("SELECT path, principal, status FROM audit_log ORDER BY seq")
            assert rows.fetchall() == [("/a", "app:a", 200), ("/b", "app:a", 200)]


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (AuditQuery(principal="app:a", since=5), "audit_log_by_principal"),
        (AuditQuery(resource="workflow:w1", until=5), "audit_log_by_resource"),
    ],
)
def test_sqlite_reads_one_principal_or_resource_newest_first_through_its_index(
    tmp_path: Path, query: AuditQuery, index: str
) -> None:
    _append_two(SqliteStore(f"sqlite:///{tmp_path}/t.db"))
    where, params = audit_where(query, "?")
    page = f"SELECT {AUDIT_COLUMNS} FROM audit_log {where} ORDER BY seq DESC LIMIT 10"
    with closing(sqlite3.connect(tmp_path / "t.db")) as conn:
        plan = " | ".join(str(r[-1]) for r in conn.execute(f"EXPLAIN QUERY PLAN {page}", params))
    assert index in plan
    assert "TEMP B-TREE" not in plan  # walks the index in seq order: no sort
