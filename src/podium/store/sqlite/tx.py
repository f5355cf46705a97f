"""One SQLite transaction implementing the `Tx` port."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from podium.errors import Conflict
from podium.model.executions import HistoryEvent, PollData, QueueEntry, Task, Workflow
from podium.store.queue_sql import NEXT_VISIBLE_AT
from podium.store.rows import history_row, load_task, load_workflow, task_row, workflow_row
from podium.store.sqlite.audit import AuditMixin
from podium.store.sqlite.definitions import DefinitionsMixin
from podium.store.sqlite.directory import DirectoryMixin
from podium.store.sqlite.events import EventHandlersMixin
from podium.store.sqlite.principals import PrincipalsMixin
from podium.store.sqlite.retention import RetentionMixin
from podium.store.sqlite.searching import SearchMixin
from podium.store.sqlite.sessions import SessionsMixin

__all__ = ["SqliteTx"]

_TERMINAL = (
    "'COMPLETED','COMPLETED_WITH_ERRORS','SKIPPED','FAILED','TIMED_OUT',"
    "'FAILED_WITH_TERMINAL_ERROR','CANCELED'"
)


@contextmanager
def _conflicts(message: str) -> Iterator[None]:
    """Translate a uniqueness violation into the port's Conflict."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        raise Conflict(message) from exc


class SqliteTx(
    DefinitionsMixin,
    EventHandlersMixin,
    PrincipalsMixin,
    DirectoryMixin,
    AuditMixin,
    SearchMixin,
    RetentionMixin,
    SessionsMixin,
):
    """Reads and writes inside one open SQLite transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # -- workflows ---------------------------------------------------------------------------
    async def insert_workflow(self, workflow: Workflow) -> None:
        with _conflicts(f"Workflow {workflow.workflowId} exists already"):
            self._insert_workflow(workflow)

    def _insert_workflow(self, workflow: Workflow) -> None:
        self.conn.execute(
            "INSERT INTO workflow (workflow_name, workflow_version, status, correlation_id,"
            " priority, create_time, update_time, end_time, parent_workflow_id,"
            " idempotency_key, created_by, timeout_at, body, workflow_id)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            workflow_row(workflow),
        )

    async def update_workflow(self, workflow: Workflow) -> None:
        self.conn.execute(
            "UPDATE workflow SET workflow_name=?, workflow_version=?, status=?,"
            " correlation_id=?, priority=?, create_time=?, update_time=?, end_time=?,"
            " parent_workflow_id=?, idempotency_key=?, created_by=?, timeout_at=?, body=?"
            " WHERE workflow_id=?",
            workflow_row(workflow),
        )

    async def get_workflow(self, workflow_id: str, *, lock: bool = True) -> Workflow | None:
        row = self.conn.execute(
            "SELECT body FROM workflow WHERE workflow_id=?", (workflow_id,)
        ).fetchone()
        return load_workflow(row[0]) if row else None

    async def lock_with_tasks(
        self, workflow_id: str, task_id: str
    ) -> tuple[Workflow | None, Task | None, list[Task]]:
        workflow = await self.get_workflow(workflow_id)
        return workflow, await self.get_task(task_id), await self.pending_tasks(workflow_id)

    async def delete_workflow(self, workflow_id: str) -> None:
        ids = [
            r[0]
            for r in self.conn.execute(
                "SELECT task_id FROM task WHERE workflow_id=?", (workflow_id,)
            )
        ]
        await self.delete_tasks(ids)
        self.conn.execute("DELETE FROM workflow WHERE workflow_id=?", (workflow_id,))

    async def archive_workflow(self, workflow_id: str, body: bytes, at: int) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO workflow_archive (workflow_id, archived_at, body)"
            " VALUES (?,?,?)",
            (workflow_id, at, body),
        )

    async def get_archived_workflow(self, workflow_id: str) -> bytes | None:
        row = self.conn.execute(
            "SELECT body FROM workflow_archive WHERE workflow_id=?", (workflow_id,)
        ).fetchone()
        return bytes(row[0]) if row else None

    async def find_workflow_by_idempotency_key(self, name: str, key: str) -> Workflow | None:
        row = self.conn.execute(
            "SELECT body FROM workflow WHERE workflow_name=? AND idempotency_key=?"
            " ORDER BY create_time DESC LIMIT 1",
            (name, key),
        ).fetchone()
        return load_workflow(row[0]) if row else None

    async def workflows_by_correlation_id(
        self, name: str, correlation_id: str, *, include_closed: bool
    ) -> list[Workflow]:
        sql = "SELECT body FROM workflow WHERE workflow_name=? AND correlation_id=?"
        if not include_closed:
            sql += " AND status='RUNNING'"
        rows = self.conn.execute(sql + " ORDER BY create_time", (name, correlation_id))
        return [load_workflow(r[0]) for r in rows]

    async def running_workflow_ids(
        self, name: str, version: int | None, start: int, end: int
    ) -> list[str]:
        if start > 0 and end > 0:
            rows = self.conn.execute(
                "SELECT workflow_id FROM workflow WHERE workflow_name=?"
                " AND create_time BETWEEN ? AND ? ORDER BY create_time",
                (name, start, end),
            )
        else:
            rows = self.conn.execute(
                "SELECT workflow_id FROM workflow WHERE workflow_name=? AND workflow_version=?"
                " AND status='RUNNING' ORDER BY create_time",
                (name, version or 1),
            )
        return [r[0] for r in rows]

    async def due_workflows(self, now: int, limit: int) -> list[str]:
        rows = self.conn.execute(
            "SELECT workflow_id, timeout_at AS due FROM workflow"
            " WHERE timeout_at > 0 AND timeout_at <= ? AND status IN ('RUNNING','PAUSED')"
            " UNION ALL SELECT t.workflow_id, t.check_at FROM task t"
            " JOIN workflow w ON w.workflow_id = t.workflow_id"
            " WHERE t.check_at > 0 AND t.check_at <= ? AND w.status = 'RUNNING'"
            " ORDER BY due LIMIT ?",
            (now, now, limit),
        )
        return list(dict.fromkeys(r[0] for r in rows))

    # -- tasks -------------------------------------------------------------------------------
    async def insert_tasks(self, tasks: Sequence[Task], check_at: Sequence[int]) -> None:
        with _conflicts("A task with one of these ids exists already"):
            self._insert_tasks(tasks, check_at)

    def _insert_tasks(self, tasks: Sequence[Task], check_at: Sequence[int]) -> None:
        self.conn.executemany(
            "INSERT INTO task (workflow_id, seq, ref_name, ref_base, task_type, task_def_name,"
            " status, done, scheduled_time, start_time, end_time, update_time, check_at,"
            " rate_limited, domain, worker_id, body, task_id)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [task_row(t, c) for t, c in zip(tasks, check_at, strict=True)],
        )

    async def update_tasks(self, tasks: Sequence[Task], check_at: Sequence[int]) -> None:
        self.conn.executemany(
            "UPDATE task SET workflow_id=?, seq=?, ref_name=?, ref_base=?, task_type=?,"
            " task_def_name=?, status=?, done=?, scheduled_time=?, start_time=?, end_time=?,"
            " update_time=?, check_at=?, rate_limited=?, domain=?, worker_id=?, body=?"
            " WHERE task_id=?",
            [task_row(t, c) for t, c in zip(tasks, check_at, strict=True)],
        )

    async def get_task(self, task_id: str) -> Task | None:
        row = self.conn.execute("SELECT body FROM task WHERE task_id=?", (task_id,)).fetchone()
        return load_task(row[0]) if row else None

    async def get_tasks(self, task_ids: Sequence[str]) -> list[Task]:
        if not task_ids:
            return []
        marks = ",".join("?" * len(task_ids))
        rows = self.conn.execute(
            f"SELECT task_id, body FROM task WHERE task_id IN ({marks})", tuple(task_ids)
        )
        found = {r[0]: r[1] for r in rows}
        return [load_task(found[i]) for i in task_ids if i in found]

    async def workflow_tasks(self, workflow_id: str) -> list[Task]:
        rows = self.conn.execute(
            "SELECT body FROM task WHERE workflow_id=? ORDER BY seq", (workflow_id,)
        )
        return [load_task(r[0]) for r in rows]

    async def pending_tasks(self, workflow_id: str) -> list[Task]:
        rows = self.conn.execute(
            "SELECT body FROM task WHERE workflow_id=? AND done=0 ORDER BY seq", (workflow_id,)
        )
        return [load_task(r[0]) for r in rows]

    async def latest_tasks(self, workflow_id: str, refs: Sequence[str]) -> dict[str, Task]:
        out: dict[str, Task] = {}
        for ref in refs:
            row = self.conn.execute(
                "SELECT body FROM task WHERE workflow_id=? AND ref_base=?"
                " ORDER BY seq DESC LIMIT 1",
                (workflow_id, ref),
            ).fetchone()
            if row:
                out[ref] = load_task(row[0])
        return out

    async def delete_iterations(
        self, workflow_id: str, refs: Sequence[str], up_to_iteration: int
    ) -> None:
        doomed: list[str] = []
        for ref in refs:
            rows = self.conn.execute(
                "SELECT task_id, body FROM task WHERE workflow_id=? AND ref_base=?",
                (workflow_id, ref),
            )
            doomed += [r[0] for r in rows if 0 < load_task(r[1]).iteration <= up_to_iteration]
        await self.delete_tasks(doomed)

    async def delete_tasks(self, task_ids: Sequence[str]) -> None:
        params = [(i,) for i in task_ids]
        self.conn.executemany("DELETE FROM queue WHERE task_id=?", params)
        self.conn.executemany("DELETE FROM task_log WHERE task_id=?", params)
        self.conn.executemany("DELETE FROM task WHERE task_id=?", params)

    async def tasks_in_progress(self, task_type: str, start: int, count: int) -> list[Task]:
        rows = self.conn.execute(
            f"SELECT body FROM task WHERE task_type=? AND done=0 AND status NOT IN ({_TERMINAL})"
            " ORDER BY scheduled_time LIMIT ? OFFSET ?",
            (task_type, count, start),
        )
        return [load_task(r[0]) for r in rows]

    async def count_in_progress(self, task_def_name: str) -> int:
        row = self.conn.execute(
            "SELECT count(*) FROM task WHERE task_def_name=? AND done=0 AND status='IN_PROGRESS'",
            (task_def_name,),
        ).fetchone()
        return int(row[0])

    async def count_started_since(self, task_def_name: str, since: int) -> int:
        row = self.conn.execute(
            "SELECT count(*) FROM task WHERE task_def_name=? AND rate_limited=1"
            " AND start_time >= ?",
            (task_def_name, since),
        ).fetchone()
        return int(row[0])

    # -- queues ------------------------------------------------------------------------------
    async def push(self, entries: Sequence[QueueEntry]) -> None:
        self.conn.executemany(
            "INSERT OR REPLACE INTO queue (task_id, queue_name, workflow_id, priority, visible_at)"
            " VALUES (?,?,?,?,?)",
            [(e.task_id, e.queue, e.workflow_id, e.priority, e.visible_at) for e in entries],
        )

    async def pop(self, queue: str, count: int, now: int) -> list[str]:
        ids = [
            r[0]
            for r in self.conn.execute(
                "SELECT task_id FROM queue WHERE queue_name=? AND visible_at<=?"
                " ORDER BY priority DESC, visible_at LIMIT ?",
                (queue, now, count),
            )
        ]
        if ids:
            self.conn.executemany("DELETE FROM queue WHERE task_id=?", [(i,) for i in ids])
        return ids

    async def pop_tasks(self, queue: str, count: int, now: int) -> list[Task]:
        # One writer at a time: no other transaction can hold a task row.
        return await self.get_tasks(await self.pop(queue, count, now))

    async def unqueue(self, task_ids: Sequence[str]) -> None:
        self.conn.executemany("DELETE FROM queue WHERE task_id=?", [(i,) for i in task_ids])

    async def next_visible_at(self, queue: str) -> int | None:
        row = self.conn.execute(NEXT_VISIBLE_AT.replace("%s", "?"), (queue,) * 3).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    async def queue_sizes(self, now: int) -> dict[str, int]:
        rows = self.conn.execute(
            "SELECT queue_name, count(*) FROM queue WHERE visible_at<=?"
            " GROUP BY queue_name ORDER BY queue_name",
            (now,),
        )
        return {r[0]: int(r[1]) for r in rows}

    async def queue_depths(self) -> dict[str, tuple[int, int]]:
        rows = self.conn.execute(
            "SELECT q.queue_name, count(*), sum(t.status='IN_PROGRESS') FROM queue q"
            " JOIN task t ON t.task_id=q.task_id GROUP BY q.queue_name ORDER BY q.queue_name"
        )
        return {r[0]: (int(r[1]), int(r[2] or 0)) for r in rows}

    async def queued_task_ids(self, queue: str) -> list[str]:
        rows = self.conn.execute("SELECT task_id FROM queue WHERE queue_name=?", (queue,))
        return [r[0] for r in rows]

    # -- polls, logs and history -------------------------------------------------------------
    async def record_poll(self, poll: PollData) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO poll_data (queue_name, domain, worker_id, last_poll_time)"
            " VALUES (?,?,?,?)",
            (poll.queueName, poll.domain or "", poll.workerId, poll.lastPollTime),
        )

    async def poll_data(self, task_type: str | None) -> list[PollData]:
        sql = "SELECT queue_name, domain, worker_id, last_poll_time FROM poll_data"
        rows = (
            self.conn.execute(sql + " WHERE queue_name=? ORDER BY domain", (task_type,))
            if task_type
            else self.conn.execute(sql + " ORDER BY queue_name, domain")
        )
        return [PollData(r[0], r[1] or None, r[2], int(r[3])) for r in rows]

    async def add_task_logs(self, task_id: str, logs: Sequence[tuple[str, int]]) -> None:
        self.conn.executemany(
            "INSERT INTO task_log (task_id, log, created_time) VALUES (?,?,?)",
            [(task_id, line, created) for line, created in logs],
        )

    async def task_logs(self, task_id: str) -> list[tuple[str, int]]:
        rows = self.conn.execute(
            "SELECT log, created_time FROM task_log WHERE task_id=? ORDER BY id", (task_id,)
        )
        return [(r[0], int(r[1])) for r in rows]

    async def announce(self, keys: Iterable[str]) -> None:
        """One process owns this database: there is no other node to tell."""

    async def append_history(self, events: Sequence[HistoryEvent]) -> None:
        self.conn.executemany(
            "INSERT INTO history (workflow_id, task_id, ref_name, at, event, actor, node,"
            " from_status, to_status, reason) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [history_row(e) for e in events],
        )

    async def workflow_history(self, workflow_id: str) -> list[HistoryEvent]:
        rows = self.conn.execute(
            "SELECT workflow_id, at, event, actor, node, task_id, ref_name, from_status,"
            " to_status, reason, seq FROM history WHERE workflow_id=? ORDER BY seq",
            (workflow_id,),
        )
        return [HistoryEvent(*r) for r in rows]
