"""Task logs and the append-only history (the audit trail)."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from podium.model.executions import HistoryEvent
from podium.store import Store
from podium.store.postgres import PostgresStore
from podium.store.sqlite import SqliteStore
from tests.support.postgres import postgres_database

from .support import Run, event, workflow


def test_task_logs_are_appended_oldest_first(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.add_task_logs("t1", [("first", 30), ("second", 10)])
            await tx.add_task_logs("t2", [("other task", 5)])
            await tx.add_task_logs("t1", [])
        async with store.transaction() as tx:
            await tx.add_task_logs("t1", [("third", 20)])
            assert await tx.task_logs("t1") == [("first", 30), ("second", 10), ("third", 20)]
            assert await tx.task_logs("t2") == [("other task", 5)]
            assert await tx.task_logs("none") == []

    run(scenario)


def test_history_is_kept_in_append_order_with_increasing_seq(run: Run) -> None:
    async def scenario(store: Store) -> None:
        started = HistoryEvent(
            "wf-1", 50, "WORKFLOW_STARTED", "api", "n1", reason="started by alice", seq=999
        )
        scheduled = HistoryEvent(
            "wf-1", 40, "TASK_SCHEDULED", "decider", "n2", "t1", "charge", None, "SCHEDULED"
        )
        async with store.transaction() as tx:
            await tx.append_history([started, event("wf-2", "WORKFLOW_STARTED", 1)])
        async with store.transaction() as tx:
            await tx.append_history([scheduled])
            await tx.append_history([])
        async with store.transaction() as tx:
            history = await tx.workflow_history("wf-1")
            assert [(e.event, e.at) for e in history] == [
                ("WORKFLOW_STARTED", 50),
                ("TASK_SCHEDULED", 40),  # in the order recorded, not by time
            ]
            first, second = history
            assert 0 < first.seq < second.seq  # the store numbers events; 999 is ignored
            assert first.reason == "started by alice"
            assert (second.task_id, second.ref, second.from_status, second.to_status) == (
                "t1",
                "charge",
                None,
                "SCHEDULED",
            )
            assert [e.workflow_id for e in await tx.workflow_history("wf-2")] == ["wf-2"]
            assert await tx.workflow_history("none") == []

    run(scenario)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE history SET reason = 'rewritten'", "DELETE FROM history"],
)
def test_sqlite_refuses_to_rewrite_history(tmp_path: Path, statement: str) -> None:
    async def record() -> None:
        store = SqliteStore(f"sqlite:///{tmp_path}/t.db")
        await store.open()
        try:
            async with store.transaction() as tx:
                await tx.append_history([event("wf-1", "WORKFLOW_STARTED", 1)])
        finally:
            await store.close()

    asyncio.run(record())
    with closing(sqlite3.connect(tmp_path / "t.db")) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="history is append-only"):
            conn.execute(statement)
        conn.rollback()
        assert conn.execute("SELECT event, reason FROM history").fetchall() == [
            ("WORKFLOW_STARTED", None)
        ]


def _record_live_and_gone(store: Store) -> None:
    """History of `live` (an existing execution) and of `gone` (one that no longer exists)."""

    async def record() -> None:
        await store.open()
        try:
            async with store.transaction() as tx:
                await tx.insert_workflow(workflow("live"))
                await tx.append_history(
                    [event("live", "workflow_started", 1), event("gone", "workflow_started", 2)]
                )
        finally:
            await store.close()

    asyncio.run(record())


def test_sqlite_lets_only_the_retention_purge_delete_history_of_gone_executions(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/t.db"
    _record_live_and_gone(SqliteStore(url))
    with closing(sqlite3.connect(tmp_path / "t.db")) as conn:
        conn.execute("INSERT INTO history_purge VALUES ('live')")
        with pytest.raises(sqlite3.IntegrityError, match="history is append-only"):
            conn.execute("DELETE FROM history WHERE workflow_id = 'live'")
        with pytest.raises(sqlite3.IntegrityError, match="history is append-only"):
            conn.execute("DELETE FROM history WHERE workflow_id = 'gone'")  # not named
        conn.execute("INSERT INTO history_purge VALUES ('gone')")
        conn.execute("DELETE FROM history WHERE workflow_id = 'gone'")
        with pytest.raises(sqlite3.IntegrityError, match="history is append-only"):
            conn.execute("UPDATE history SET reason = 'rewritten'")
        assert conn.execute("SELECT workflow_id FROM history").fetchall() == [("live",)]


RETENTION_ON = "SELECT set_config('podium.retention', 'on', true)"


@pytest.mark.parametrize(
    ("setup", "statement"),
    [
        (None, "UPDATE history SET reason = 'rewritten'"),
        (None, "DELETE FROM history WHERE workflow_id = 'gone'"),
        (None, "TRUNCATE history"),
        (RETENTION_ON, "DELETE FROM history WHERE workflow_id = 'live'"),
        (RETENTION_ON, "UPDATE history SET reason = 'rewritten'"),
        (RETENTION_ON, "TRUNCATE history"),
    ],
)
def test_postgres_refuses_to_rewrite_history(setup: str | None, statement: str) -> None:
    with postgres_database() as url:
        _record_live_and_gone(PostgresStore(url, max_size=1))
        with psycopg.connect(url) as conn:
            if setup:
                conn.execute(setup)
            with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
                conn.execute(statement)
            conn.rollback()
            rows = conn.execute("SELECT workflow_id FROM history ORDER BY seq").fetchall()
            assert rows == [("live",), ("gone",)]


def test_postgres_lets_the_retention_setting_delete_history_of_gone_executions() -> None:
    with postgres_database() as url:
        _record_live_and_gone(PostgresStore(url, max_size=1))
        with psycopg.connect(url) as conn:
            conn.execute(RETENTION_ON)
            conn.execute("DELETE FROM history WHERE workflow_id = 'gone'")
            conn.execute(
                "INSERT INTO history (workflow_id, at, event, actor, node)"
                " VALUES ('gone-too', 3, 'workflow_started', 'tester', 'n1')"
            )
            conn.commit()
            with pytest.raises(psycopg.errors.RestrictViolation):  # the setting was local
                conn.execute("DELETE FROM history WHERE workflow_id = 'gone-too'")
            conn.rollback()
            rows = conn.execute("SELECT workflow_id FROM history ORDER BY seq").fetchall()
            assert rows == [("live",), ("gone-too",)]
