"""One PostgreSQL transaction implementing the `Tx` port."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import LiteralString

from psycopg import AsyncPipeline

from podium.errors import Conflict
from podium.model.executions import Task, Workflow
from podium.store.postgres.audit import AuditMixin
from podium.store.postgres.base import Connection
from podium.store.postgres.definitions import DefinitionsMixin
from podium.store.postgres.directory import DirectoryMixin
from podium.store.postgres.events import EventHandlersMixin
from podium.store.postgres.notify import notification_payloads
from podium.store.postgres.principals import PrincipalsMixin
from podium.store.postgres.queues import QueuesMixin
from podium.store.postgres.retention import RetentionMixin
from podium.store.postgres.searching import SearchMixin
from podium.store.postgres.sessions import SessionsMixin
from podium.store.rows import load_task, load_workflow, task_row, workflow_row

__all__ = ["PostgresTx"]

_TERMINAL = (
    "'COMPLETED','COMPLETED_WITH_ERRORS','SKIPPED','FAILED','TIMED_OUT',"
    "'FAILED_WITH_TERMINAL_ERROR','CANCELED'"
)
_TASK_COLUMNS = (
    "workflow_id, seq, ref_name, ref_base, task_type, task_def_name, status, done,"
    " scheduled_time, start_time, end_time, update_time, check_at, rate_limited, domain,"
    " worker_id, body, task_id"
)
_TASK_ROW = "(" + ",".join(["%s"] * 18) + ")"
# Rows per INSERT statement: 18 parameters each stays far below PostgreSQL's 65535.
_CHUNK = 1000


class PostgresTx(
    DefinitionsMixin,
    EventHandlersMixin,
    PrincipalsMixin,
    DirectoryMixin,
    AuditMixin,
    SearchMixin,
    QueuesMixin,
    RetentionMixin,
    SessionsMixin,
):
    """Reads and writes inside one open PostgreSQL transaction on one pooled connection."""

    def __init__(self, conn: Connection, pipeline: AsyncPipeline, origin: str) -> None:
        self.conn = conn
        self.pipeline = pipeline
        self.origin = origin
        self.history = []
        self.notes = []

    async def announce(self, keys: Iterable[str]) -> None:
        # Sent by `finish`; delivered to every listening node if this transaction commits.
        self.notes.extend(notification_payloads(self.origin, keys))

    # -- workflows ---------------------------------------------------------------------------
    async def insert_workflow(self, workflow: Workflow) -> None:
        # ON CONFLICT DO NOTHING instead of catching the unique violation: an error would abort
        # the whole PostgreSQL transaction, while the port lets the caller go on after Conflict.
        inserted = await self._count(
            "INSERT INTO workflow (workflow_name, workflow_version, status, correlation_id,"
            " priority, create_time, update_time, end_time, parent_workflow_id,"
            " idempotency_key, created_by, timeout_at, body, workflow_id)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
            " ON CONFLICT (workflow_id) DO NOTHING",
            workflow_row(workflow),
        )
        if inserted == 0:
            raise Conflict(f"Workflow {workflow.workflowId} exists already")

    async def update_workflow(self, workflow: Workflow) -> None:
        await self._run(
            "UPDATE workflow SET workflow_name=%s, workflow_version=%s, status=%s,"
            " correlation_id=%s, priority=%s, create_time=%s, update_time=%s, end_time=%s,"
            " parent_workflow_id=%s, idempotency_key=%s, created_by=%s, timeout_at=%s, body=%s"
            " WHERE workflow_id=%s",
            workflow_row(workflow),
        )

    async def get_workflow(self, workflow_id: str, *, lock: bool = True) -> Workflow | None:
        # The row lock serialises every decision on one execution across nodes.
        if lock:
            row = await self._one(
                "SELECT body FROM workflow WHERE workflow_id=%s FOR UPDATE", (workflow_id,)
            )
        else:
            row = await self._one("SELECT body FROM workflow WHERE workflow_id=%s", (workflow_id,))
        return load_workflow(row[0]) if row else None

    async def lock_with_tasks(
        self, workflow_id: str, task_id: str
    ) -> tuple[Workflow | None, Task | None, list[Task]]:
        # Pipelined: PostgreSQL runs the reads in order, each with a snapshot taken when it
        # starts, so the task reads see whatever committed before the lock was granted.
        locked = await self.conn.execute(
            "SELECT body FROM workflow WHERE workflow_id=%s FOR UPDATE", (workflow_id,)
        )
        one = await self.conn.execute("SELECT body FROM task WHERE task_id=%s", (task_id,))
        pending = await self.conn.execute(
            "SELECT body FROM task WHERE workflow_id=%s AND NOT done ORDER BY seq", (workflow_id,)
        )
        wf_row, task_row_, rows = (
            await locked.fetchone(),
            await one.fetchone(),
            await pending.fetchall(),
        )
        return (
            load_workflow(wf_row[0]) if wf_row else None,
            load_task(task_row_[0]) if task_row_ else None,
            [load_task(r[0]) for r in rows],
        )

    async def delete_workflow(self, workflow_id: str) -> None:
        await self._delete_executions([workflow_id])

    async def archive_workflow(self, workflow_id: str, body: bytes, at: int) -> None:
        await self._run(
            "INSERT INTO workflow_archive (workflow_id, archived_at, body) VALUES (%s,%s,%s)"
            " ON CONFLICT (workflow_id) DO UPDATE SET archived_at=EXCLUDED.archived_at,"
            " body=EXCLUDED.body",
            (workflow_id, at, body),
        )

    async def get_archived_workflow(self, workflow_id: str) -> bytes | None:
        row = await self._one(
            "SELECT body FROM workflow_archive WHERE workflow_id=%s", (workflow_id,)
        )
        return bytes(row[0]) if row else None

    async def find_workflow_by_idempotency_key(self, name: str, key: str) -> Workflow | None:
        # Two nodes starting the same key at once must not both find nothing and both start:
        # the second waits here until the first commits, then finds its execution.
        await self._run(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"idempotency:{name}:{key}",)
        )
        row = await self._one(
            "SELECT body FROM workflow WHERE workflow_name=%s AND idempotency_key=%s"
            " ORDER BY create_time DESC LIMIT 1",
            (name, key),
        )
        return load_workflow(row[0]) if row else None

    async def workflows_by_correlation_id(
        self, name: str, correlation_id: str, *, include_closed: bool
    ) -> list[Workflow]:
        rows = await self._all(
            "SELECT body FROM workflow WHERE workflow_name=%s AND correlation_id=%s"
            " AND (%s OR status='RUNNING') ORDER BY create_time",
            (name, correlation_id, include_closed),
        )
        return [load_workflow(r[0]) for r in rows]

    async def running_workflow_ids(
        self, name: str, version: int | None, start: int, end: int
    ) -> list[str]:
        if start > 0 and end > 0:
            rows = await self._all(
                "SELECT workflow_id FROM workflow WHERE workflow_name=%s"
                " AND create_time BETWEEN %s AND %s ORDER BY create_time",
                (name, start, end),
            )
        else:
            rows = await self._all(
                "SELECT workflow_id FROM workflow WHERE workflow_name=%s"
                " AND workflow_version=%s AND status='RUNNING' ORDER BY create_time",
                (name, version or 1),
            )
        return [r[0] for r in rows]

    async def due_workflows(self, now: int, limit: int) -> list[str]:
        rows = await self._all(
            "SELECT workflow_id FROM ("
            " SELECT workflow_id, timeout_at AS due FROM workflow"
            " WHERE timeout_at > 0 AND timeout_at <= %s AND status IN ('RUNNING','PAUSED')"
            " UNION ALL SELECT t.workflow_id, t.check_at FROM task t"
            " JOIN workflow w ON w.workflow_id = t.workflow_id"
            " WHERE t.check_at > 0 AND t.check_at <= %s AND w.status = 'RUNNING') due"
            " GROUP BY workflow_id ORDER BY min(due), workflow_id LIMIT %s",
            (now, now, limit),
        )
        return [r[0] for r in rows]

    # -- tasks -------------------------------------------------------------------------------
    async def insert_tasks(self, tasks: Sequence[Task], check_at: Sequence[int]) -> None:
        # Sent without waiting: a duplicate id (never expected: ids are random) fails the
        # whole unit with Conflict at its next read or commit.
        rows = [task_row(t, c) for t, c in zip(tasks, check_at, strict=True)]
        for first in range(0, len(rows), _CHUNK):
            chunk = rows[first : first + _CHUNK]
            sql: LiteralString = f"INSERT INTO task ({_TASK_COLUMNS}) VALUES " + ",".join(
                [_TASK_ROW] * len(chunk)
            )
            await self._run(sql, [value for row in chunk for value in row])

    async def update_tasks(self, tasks: Sequence[Task], check_at: Sequence[int]) -> None:
        await self._many(
            "UPDATE task SET workflow_id=%s, seq=%s, ref_name=%s, ref_base=%s, task_type=%s,"
            " task_def_name=%s, status=%s, done=%s, scheduled_time=%s, start_time=%s,"
            " end_time=%s, update_time=%s, check_at=%s, rate_limited=%s, domain=%s,"
            " worker_id=%s, body=%s WHERE task_id=%s",
            [task_row(t, c) for t, c in zip(tasks, check_at, strict=True)],
        )

    async def get_task(self, task_id: str) -> Task | None:
        row = await self._one("SELECT body FROM task WHERE task_id=%s", (task_id,))
        return load_task(row[0]) if row else None

    async def get_tasks(self, task_ids: Sequence[str]) -> list[Task]:
        if not task_ids:
            return []
        rows = await self._all(
            "SELECT task_id, body FROM task WHERE task_id = ANY(%s)", (list(task_ids),)
        )
        found = {r[0]: r[1] for r in rows}
        return [load_task(found[i]) for i in task_ids if i in found]

    async def workflow_tasks(self, workflow_id: str) -> list[Task]:
        rows = await self._all(
            "SELECT body FROM task WHERE workflow_id=%s ORDER BY seq", (workflow_id,)
        )
        return [load_task(r[0]) for r in rows]

    async def pending_tasks(self, workflow_id: str) -> list[Task]:
        rows = await self._all(
            "SELECT body FROM task WHERE workflow_id=%s AND NOT done ORDER BY seq", (workflow_id,)
        )
        return [load_task(r[0]) for r in rows]

    async def latest_tasks(self, workflow_id: str, refs: Sequence[str]) -> dict[str, Task]:
        if not refs:
            return {}
        rows = await self._all(
            "SELECT DISTINCT ON (ref_base) ref_base, body FROM task"
            " WHERE workflow_id=%s AND ref_base = ANY(%s) ORDER BY ref_base, seq DESC",
            (workflow_id, list(refs)),
        )
        found = {r[0]: r[1] for r in rows}
        return {ref: load_task(found[ref]) for ref in refs if ref in found}

    async def delete_iterations(
        self, workflow_id: str, refs: Sequence[str], up_to_iteration: int
    ) -> None:
        if not refs:
            return
        rows = await self._all(
            "SELECT task_id, body FROM task WHERE workflow_id=%s AND ref_base = ANY(%s)",
            (workflow_id, list(refs)),
        )
        doomed = [r[0] for r in rows if 0 < load_task(r[1]).iteration <= up_to_iteration]
        await self.delete_tasks(doomed)

    async def delete_tasks(self, task_ids: Sequence[str]) -> None:
        if not task_ids:
            return
        ids = list(task_ids)
        await self._run("DELETE FROM queue WHERE task_id = ANY(%s)", (ids,))
        await self._run("DELETE FROM task_log WHERE task_id = ANY(%s)", (ids,))
        await self._run("DELETE FROM task WHERE task_id = ANY(%s)", (ids,))

    async def tasks_in_progress(self, task_type: str, start: int, count: int) -> list[Task]:
        rows = await self._all(
            "SELECT body FROM task WHERE task_type=%s AND NOT done"
            f" AND status NOT IN ({_TERMINAL})"
            " ORDER BY scheduled_time LIMIT %s OFFSET %s",
            (task_type, count, start),
        )
        return [load_task(r[0]) for r in rows]

    async def count_in_progress(self, task_def_name: str) -> int:
        row = await self._one(
            "SELECT count(*) FROM task WHERE task_def_name=%s AND NOT done"
            " AND status='IN_PROGRESS'",
            (task_def_name,),
        )
        return int(row[0]) if row else 0

    async def count_started_since(self, task_def_name: str, since: int) -> int:
        row = await self._one(
            "SELECT count(*) FROM task WHERE task_def_name=%s AND rate_limited"
            " AND start_time >= %s",
            (task_def_name, since),
        )
        return int(row[0]) if row else 0
