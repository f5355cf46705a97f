"""The in-memory store: the `Store` port over plain dicts, with the SQLite store's semantics.

It exists so that services and the engine run their real logic in tests with no database, and it
passes the same contract suite (`tests/contract/`) as the SQLite store: same orderings, same
filters, same value semantics (every object is stored serialised, so changing a returned object
never changes stored state). One transaction runs at a time; it works on a copy-on-write fork of
the tables, swapped in when the block exits normally and dropped when it raises.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager

from podium.errors import Conflict, StoreUnavailable
from podium.model.executions import HistoryEvent, PollData, QueueEntry, Task, Workflow
from podium.model.statuses import TaskStatus, WorkflowStatus
from podium.store import Page, SearchRequest, Tx
from podium.store.memory_definitions import MemoryDefinitions
from podium.store.memory_directory import MemoryDirectory
from podium.store.memory_events import MemoryEventHandlers
from podium.store.memory_principals import MemoryPrincipals
from podium.store.memory_retention import MemoryRetention
from podium.store.memory_search import search_tasks, search_workflows
from podium.store.memory_sessions import MemorySessions
from podium.store.memory_state import MemoryState, TaskRow, WorkflowRow, sql_page

__all__ = ["MemoryStore", "MemoryTx"]

_TERMINAL = frozenset(s.value for s in TaskStatus if s.terminal)
_TIMEOUT_STATUSES = (WorkflowStatus.RUNNING.value, WorkflowStatus.PAUSED.value)


def _pop_order(entry: QueueEntry) -> tuple[int, int, str]:
    """Highest priority first, then the oldest visible time (then task id, as SQLite's index)."""
    return (-entry.priority, entry.visible_at, entry.task_id)


class MemoryStore:
    """Tables in this process's memory behind the `Store` port (kept across close and open)."""

    name = "memory"

    def __init__(self) -> None:
        self._state = MemoryState()
        self._lock = asyncio.Lock()
        self._open = False

    async def migrate(self) -> list[int]:
        """There is no schema to migrate."""
        return []

    async def pending_migrations(self) -> list[int]:
        """There is no schema to migrate."""
        return []

    async def open(self) -> None:
        """Accept transactions (there is no schema to migrate)."""
        self._open = True

    async def close(self) -> None:
        """Refuse transactions until opened again; the data stays, as in a database file."""
        self._open = False

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One unit of work on a fork of the tables: committed on exit, dropped on error."""
        async with self._lock:
            if not self._open:
                raise StoreUnavailable("the memory store is not open")
            working = self._state.fork()
            yield MemoryTx(working)
            self._state = working  # reached only when the block did not raise: commit


class MemoryTx(
    MemoryDefinitions,
    MemoryEventHandlers,
    MemoryPrincipals,
    MemoryDirectory,
    MemoryRetention,
    MemorySessions,
):
    """Reads and writes of one transaction on its working copy of the tables."""

    def __init__(self, state: MemoryState) -> None:
        self.state = state

    # -- workflows ---------------------------------------------------------------------------
    async def insert_workflow(self, workflow: Workflow) -> None:
        if workflow.workflowId in self.state.workflows:
            raise Conflict(f"Workflow {workflow.workflowId} exists already")
        self.state.workflows.put(workflow.workflowId, WorkflowRow.of(workflow))

    async def update_workflow(self, workflow: Workflow) -> None:
        if workflow.workflowId in self.state.workflows:  # UPDATE of a missing row: no-op
            self.state.workflows.put(workflow.workflowId, WorkflowRow.of(workflow))

    async def get_workflow(self, workflow_id: str, *, lock: bool = True) -> Workflow | None:
        row = self.state.workflows.get(workflow_id)
        return row.load() if row else None

    async def lock_with_tasks(
        self, workflow_id: str, task_id: str
    ) -> tuple[Workflow | None, Task | None, list[Task]]:
        workflow = await self.get_workflow(workflow_id)
        return workflow, await self.get_task(task_id), await self.pending_tasks(workflow_id)

    async def delete_workflow(self, workflow_id: str) -> None:
        await self.delete_tasks([t.task_id for t in self._task_rows(workflow_id)])
        self.state.workflows.pop(workflow_id)

    async def archive_workflow(self, workflow_id: str, body: bytes, at: int) -> None:
        self.state.archive.put(workflow_id, (int(at), bytes(body)))

    async def get_archived_workflow(self, workflow_id: str) -> bytes | None:
        archived = self.state.archive.get(workflow_id)
        return archived[1] if archived else None

    async def find_workflow_by_idempotency_key(self, name: str, key: str) -> Workflow | None:
        rows = [
            r for r in self.state.workflows.rows() if r.name == name and r.idempotency_key == key
        ]
        return max(rows, key=lambda r: r.create_time).load() if rows else None

    async def workflows_by_correlation_id(
        self, name: str, correlation_id: str, *, include_closed: bool
    ) -> list[Workflow]:
        rows = [
            r
            for r in self.state.workflows.rows()
            if r.name == name
            and r.correlation_id == correlation_id
            and (include_closed or r.status == WorkflowStatus.RUNNING.value)
        ]
        return [r.load() for r in sorted(rows, key=lambda r: r.create_time)]

    async def running_workflow_ids(
        self, name: str, version: int | None, start: int, end: int
    ) -> list[str]:
        rows = self.state.workflows.rows()
        if start > 0 and end > 0:
            found = [r for r in rows if r.name == name and start <= r.create_time <= end]
        else:
            wanted = version or 1
            found = [
                r
                for r in rows
                if r.name == name
                and r.version == wanted
                and r.status == WorkflowStatus.RUNNING.value
            ]
        return [r.workflow_id for r in sorted(found, key=lambda r: r.create_time)]

    async def search_workflows(self, request: SearchRequest) -> Page[Workflow]:
        return search_workflows(self.state, request)

    async def due_workflows(self, now: int, limit: int) -> list[str]:
        workflows = self.state.workflows
        due = [
            (r.timeout_at, r.workflow_id)
            for r in workflows.rows()
            if 0 < r.timeout_at <= now and r.status in _TIMEOUT_STATUSES
        ]
        for t in self.state.tasks.rows():
            owner = workflows.get(t.workflow_id)
            if 0 < t.check_at <= now and owner is not None and owner.status == "RUNNING":
                due.append((t.check_at, t.workflow_id))
        due.sort(key=lambda d: d[0])  # earliest due first, as ORDER BY due in SQLite
        return list(dict.fromkeys(w for _, w in due[:limit]))

    # -- tasks -------------------------------------------------------------------------------
    async def insert_tasks(self, tasks: Sequence[Task], check_at: Sequence[int]) -> None:
        for task, check in zip(tasks, check_at, strict=True):
            if task.taskId in self.state.tasks:
                raise Conflict(f"Task {task.taskId} exists already")
            self.state.tasks.put(task.taskId, TaskRow.of(task, check))

    async def update_tasks(self, tasks: Sequence[Task], check_at: Sequence[int]) -> None:
        for task, check in zip(tasks, check_at, strict=True):
            if task.taskId in self.state.tasks:  # UPDATE of a missing row: no-op
                self.state.tasks.put(task.taskId, TaskRow.of(task, check))

    async def get_task(self, task_id: str) -> Task | None:
        row = self.state.tasks.get(task_id)
        return row.load() if row else None

    async def get_tasks(self, task_ids: Sequence[str]) -> list[Task]:
        rows = (self.state.tasks.get(task_id) for task_id in task_ids)
        return [row.load() for row in rows if row is not None]

    async def workflow_tasks(self, workflow_id: str) -> list[Task]:
        return [row.load() for row in self._task_rows(workflow_id)]

    async def pending_tasks(self, workflow_id: str) -> list[Task]:
        return [row.load() for row in self._task_rows(workflow_id) if not row.done]

    async def latest_tasks(self, workflow_id: str, refs: Sequence[str]) -> dict[str, Task]:
        latest: dict[str, TaskRow] = {}
        wanted = set(refs)
        for row in self._task_rows(workflow_id):  # by seq: a later attempt replaces
            if row.ref_base in wanted:
                latest[row.ref_base] = row
        return {ref: latest[ref].load() for ref in refs if ref in latest}

    async def delete_iterations(
        self, workflow_id: str, refs: Sequence[str], up_to_iteration: int
    ) -> None:
        wanted = set(refs)
        doomed = [
            row.task_id
            for row in self._task_rows(workflow_id)
            if row.ref_base in wanted and 0 < row.load().iteration <= up_to_iteration
        ]
        await self.delete_tasks(doomed)

    async def delete_tasks(self, task_ids: Sequence[str]) -> None:
        for task_id in task_ids:
            self.state.queue.pop(task_id)
            self.state.logs.pop(task_id)
            self.state.tasks.pop(task_id)

    async def search_tasks(self, request: SearchRequest) -> Page[Task]:
        return search_tasks(self.state, request)

    async def tasks_in_progress(self, task_type: str, start: int, count: int) -> list[Task]:
        rows = [
            r
            for r in self.state.tasks.rows()
            if r.task_type == task_type and not r.done and r.status not in _TERMINAL
        ]
        rows.sort(key=lambda r: r.scheduled_time)
        return [r.load() for r in sql_page(rows, start, count)]

    async def count_in_progress(self, task_def_name: str) -> int:
        in_progress = TaskStatus.IN_PROGRESS.value
        return sum(
            1
            for r in self.state.tasks.rows()
            if r.task_def_name == task_def_name and not r.done and r.status == in_progress
        )

    async def count_started_since(self, task_def_name: str, since: int) -> int:
        # Only attempts that carry a rate limit are counted, as in the SQLite store.
        return sum(
            1
            for r in self.state.tasks.rows()
            if r.task_def_name == task_def_name and r.rate_limited and r.start_time >= since
        )

    def _task_rows(self, workflow_id: str) -> list[TaskRow]:
        rows = [r for r in self.state.tasks.rows() if r.workflow_id == workflow_id]
        return sorted(rows, key=lambda r: r.seq)

    # -- queues ------------------------------------------------------------------------------
    async def push(self, entries: Sequence[QueueEntry]) -> None:
        for entry in entries:
            self.state.queue.put(entry.task_id, entry)

    async def pop(self, queue: str, count: int, now: int) -> list[str]:
        visible = [e for e in self._entries(queue) if e.visible_at <= now]
        taken = [e.task_id for e in sql_page(visible, 0, count)]
        for task_id in taken:
            self.state.queue.pop(task_id)
        return taken

    async def pop_tasks(self, queue: str, count: int, now: int) -> list[Task]:
        return await self.get_tasks(await self.pop(queue, count, now))

    async def unqueue(self, task_ids: Sequence[str]) -> None:
        for task_id in task_ids:
            self.state.queue.pop(task_id)

    async def next_visible_at(self, queue: str) -> int | None:
        return min((e.visible_at for e in self._entries(queue)), default=None)

    async def queue_sizes(self, now: int) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for entry in self.state.queue.rows():
            if entry.visible_at <= now:
                sizes[entry.queue] = sizes.get(entry.queue, 0) + 1
        return dict(sorted(sizes.items()))

    async def queue_depths(self) -> dict[str, tuple[int, int]]:
        depths: dict[str, tuple[int, int]] = {}
        for entry in self.state.queue.rows():
            task = self.state.tasks.get(entry.task_id)
            if task is None:  # the SQLite store joins the task row
                continue
            size, running = depths.get(entry.queue, (0, 0))
            depths[entry.queue] = (size + 1, running + int(task.status == "IN_PROGRESS"))
        return dict(sorted(depths.items()))

    async def queued_task_ids(self, queue: str) -> list[str]:
        return [e.task_id for e in self._entries(queue)]

    def _entries(self, queue: str) -> list[QueueEntry]:
        """A queue's entries in pop order."""
        return sorted((e for e in self.state.queue.rows() if e.queue == queue), key=_pop_order)

    # -- polls, logs and history -------------------------------------------------------------
    async def record_poll(self, poll: PollData) -> None:
        domain = poll.domain or ""  # the SQLite key column holds '' for "no domain"
        stored = PollData(poll.queueName, domain or None, poll.workerId, int(poll.lastPollTime))
        self.state.polls.put((poll.queueName, domain), stored)

    async def poll_data(self, task_type: str | None) -> list[PollData]:
        polls = sorted(self.state.polls.items())  # by queue name, then domain
        return [poll for (queue, _), poll in polls if not task_type or queue == task_type]

    async def add_task_logs(self, task_id: str, logs: Sequence[tuple[str, int]]) -> None:
        if logs:
            old = self.state.logs.get(task_id) or ()
            self.state.logs.put(task_id, old + tuple((line, int(at)) for line, at in logs))

    async def task_logs(self, task_id: str) -> list[tuple[str, int]]:
        return list(self.state.logs.get(task_id) or ())

    async def announce(self, keys: Iterable[str]) -> None:
        """One process owns this database: there is no other node to tell."""

    async def append_history(self, events: Sequence[HistoryEvent]) -> None:
        for event in events:
            self.state.history_seq += 1
            stored = dataclasses.replace(event, seq=self.state.history_seq)
            old = self.state.history.get(event.workflow_id) or ()
            self.state.history.put(event.workflow_id, (*old, stored))

    async def workflow_history(self, workflow_id: str) -> list[HistoryEvent]:
        return list(self.state.history.get(workflow_id) or ())
