"""Queues, poll data, task logs and history of the PostgreSQL store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import LiteralString

from podium.model.executions import HistoryEvent, PollData, QueueEntry, Task
from podium.store.postgres.base import PgBase
from podium.store.postgres.notify import CHANNEL
from podium.store.queue_sql import NEXT_VISIBLE_AT
from podium.store.rows import history_row, load_task

__all__ = ["QueuesMixin"]

# Rows claimed with SKIP LOCKED are invisible to concurrent pollers until this one commits, so
# two nodes never hand out the same task. The data-modifying CTE runs even though only
# `picked` is read; reading `picked` keeps the priority order the caller expects.
_POP = (
    "WITH picked AS ("
    " SELECT task_id, priority, visible_at FROM queue"
    " WHERE queue_name=%s AND visible_at<=%s"
    " ORDER BY priority DESC, visible_at, task_id LIMIT %s FOR UPDATE SKIP LOCKED),"
    " gone AS (DELETE FROM queue q USING picked p WHERE q.task_id=p.task_id)"
    " SELECT task_id FROM picked ORDER BY priority DESC, visible_at, task_id"
)

# `pop` and the task rows in one round trip. Task rows are locked with SKIP LOCKED: a row
# another transaction holds (a decision on that workflow, on any node) is neither waited for
# nor returned, and its entry stays queued for a later poll. Waiting instead could deadlock:
# the decision, holding the task row, may be about to delete this queue row. Entries whose
# task row is gone are dropped.
_POP_TASKS = (
    "WITH picked AS ("
    " SELECT task_id, priority, visible_at FROM queue"
    " WHERE queue_name=%s AND visible_at<=%s"
    " ORDER BY priority DESC, visible_at, task_id LIMIT %s FOR UPDATE SKIP LOCKED),"
    " locked AS (SELECT task_id, body FROM task"
    " WHERE task_id IN (SELECT task_id FROM picked) FOR UPDATE SKIP LOCKED),"
    " gone AS (DELETE FROM queue q USING picked p WHERE q.task_id=p.task_id"
    " AND (p.task_id IN (SELECT task_id FROM locked)"
    " OR NOT EXISTS (SELECT 1 FROM task t WHERE t.task_id=p.task_id)))"
    " SELECT l.body FROM picked p JOIN locked l ON l.task_id=p.task_id"
    " ORDER BY p.priority DESC, p.visible_at, p.task_id"
)

_HISTORY_CHUNK = 1000  # rows per INSERT: 10 parameters each, far below PostgreSQL's 65535
_NOTIFY: LiteralString = "SELECT pg_notify(%s, n) FROM unnest(%s::text[]) n"


class QueuesMixin(PgBase):
    """The task queues (a table in the same database) and the append-only records."""

    history: list[HistoryEvent]
    notes: list[str]

    async def push(self, entries: Sequence[QueueEntry]) -> None:
        await self._many(
            "INSERT INTO queue (task_id, queue_name, workflow_id, priority, visible_at)"
            " VALUES (%s,%s,%s,%s,%s) ON CONFLICT (task_id) DO UPDATE SET"
            " queue_name=EXCLUDED.queue_name, workflow_id=EXCLUDED.workflow_id,"
            " priority=EXCLUDED.priority, visible_at=EXCLUDED.visible_at",
            [(e.task_id, e.queue, e.workflow_id, e.priority, e.visible_at) for e in entries],
        )

    async def pop(self, queue: str, count: int, now: int) -> list[str]:
        if count <= 0:
            return []
        return [r[0] for r in await self._all(_POP, (queue, now, count))]

    async def pop_tasks(self, queue: str, count: int, now: int) -> list[Task]:
        if count <= 0:
            return []
        return [load_task(r[0]) for r in await self._all(_POP_TASKS, (queue, now, count))]

    async def unqueue(self, task_ids: Sequence[str]) -> None:
        if task_ids:
            await self._run("DELETE FROM queue WHERE task_id = ANY(%s)", (list(task_ids),))

    async def next_visible_at(self, queue: str) -> int | None:
        row = await self._one(NEXT_VISIBLE_AT, (queue,) * 3)
        return int(row[0]) if row and row[0] is not None else None

    async def queue_sizes(self, now: int) -> dict[str, int]:
        rows = await self._all(
            "SELECT queue_name, count(*) FROM queue WHERE visible_at<=%s"
            " GROUP BY queue_name ORDER BY queue_name",
            (now,),
        )
        return {r[0]: int(r[1]) for r in rows}

    async def queue_depths(self) -> dict[str, tuple[int, int]]:
        rows = await self._all(
            "SELECT q.queue_name, count(*), count(*) FILTER (WHERE t.status='IN_PROGRESS')"
            " FROM queue q JOIN task t ON t.task_id=q.task_id"
            " GROUP BY q.queue_name ORDER BY q.queue_name"
        )
        return {r[0]: (int(r[1]), int(r[2])) for r in rows}

    async def queued_task_ids(self, queue: str) -> list[str]:
        rows = await self._all("SELECT task_id FROM queue WHERE queue_name=%s", (queue,))
        return [r[0] for r in rows]

    # -- polls, logs and history -------------------------------------------------------------
    async def record_poll(self, poll: PollData) -> None:
        await self._run(
            "INSERT INTO poll_data (queue_name, domain, worker_id, last_poll_time)"
            " VALUES (%s,%s,%s,%s) ON CONFLICT (queue_name, domain) DO UPDATE SET"
            " worker_id=EXCLUDED.worker_id, last_poll_time=EXCLUDED.last_poll_time",
            (poll.queueName, poll.domain or "", poll.workerId, poll.lastPollTime),
        )

    async def poll_data(self, task_type: str | None) -> list[PollData]:
        if task_type:
            rows = await self._all(
                "SELECT queue_name, domain, worker_id, last_poll_time FROM poll_data"
                " WHERE queue_name=%s ORDER BY domain",
                (task_type,),
            )
        else:
            rows = await self._all(
                "SELECT queue_name, domain, worker_id, last_poll_time FROM poll_data"
                " ORDER BY queue_name, domain"
            )
        return [PollData(r[0], r[1] or None, r[2], int(r[3])) for r in rows]

    async def add_task_logs(self, task_id: str, logs: Sequence[tuple[str, int]]) -> None:
        await self._many(
            "INSERT INTO task_log (task_id, log, created_time) VALUES (%s,%s,%s)",
            [(task_id, line, created) for line, created in logs],
        )

    async def task_logs(self, task_id: str) -> list[tuple[str, int]]:
        rows = await self._all(
            "SELECT log, created_time FROM task_log WHERE task_id=%s ORDER BY id", (task_id,)
        )
        return [(r[0], int(r[1])) for r in rows]

    async def append_history(self, events: Sequence[HistoryEvent]) -> None:
        # Kept until the unit ends (or reads history): one INSERT for the whole unit.
        self.history.extend(events)

    async def finish(self) -> None:
        """Send what the unit kept for its end, its history and its announcements, as one
        statement."""
        notes, self.notes = self.notes, []
        await self._flush_history(notes)

    async def _flush_history(self, notes: list[str]) -> None:
        rows = [history_row(e) for e in self.history]
        self.history = []
        chunks = [rows[i : i + _HISTORY_CHUNK] for i in range(0, len(rows), _HISTORY_CHUNK)]
        for n, chunk in enumerate(chunks):
            values: LiteralString = ",".join(["(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"] * len(chunk))
            insert: LiteralString = (
                "INSERT INTO history (workflow_id, task_id, ref_name, at, event, actor, node,"
                " from_status, to_status, reason) VALUES " + values
            )
            params: list[object] = [value for row in chunk for value in row]
            if notes and n == len(chunks) - 1:
                await self._run(f"WITH h AS ({insert}) {_NOTIFY}", [*params, CHANNEL, notes])
                notes = []
            else:
                await self._run(insert, params)
        if notes:
            await self._run(_NOTIFY, (CHANNEL, notes))

    async def workflow_history(self, workflow_id: str) -> list[HistoryEvent]:
        await self._flush_history([])
        rows = await self._all(
            "SELECT workflow_id, at, event, actor, node, task_id, ref_name, from_status,"
            " to_status, reason, seq FROM history WHERE workflow_id=%s ORDER BY seq",
            (workflow_id,),
        )
        return [HistoryEvent(*r) for r in rows]
