"""Task logs and the append-only history (the audit trail)."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from podium.model.executions import HistoryEvent
from podium.store import Store
from podium.store.sqlite import SqliteStore

from .support import Run, event


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
