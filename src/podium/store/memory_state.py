"""The tables of the in-memory store, and how a transaction works on them without copying.

Every stored value is immutable (bytes, frozen rows, tuples), so a transaction can share the
committed tables and copy one only on its first write to it (copy-on-write). Committing swaps the
transaction's state in; rolling back drops it. Rows keep the columns the SQLite schema has
(`migrations/sqlite/0001_init.sql`) next to the serialised body, so both stores select alike.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import orjson

from podium.model.executions import HistoryEvent, PollData, QueueEntry, Task, Workflow
from podium.store import AuditRecord, Grant, UiSession

__all__ = ["CowTable", "MemoryState", "TaskRow", "WorkflowRow", "sql_page"]

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


class CowTable(Generic[K, V]):
    """A dict that a transaction shares with the committed state until it first writes to it."""

    __slots__ = ("_data", "_owned")

    def __init__(self, data: dict[K, V] | None = None, *, owned: bool = True) -> None:
        self._data: dict[K, V] = {} if data is None else data
        self._owned = owned

    def fork(self) -> CowTable[K, V]:
        """A table for a new transaction; neither side may write to the shared dict any more."""
        self._owned = False
        return CowTable(self._data, owned=False)

    def get(self, key: K) -> V | None:
        return self._data.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[K]:
        """The keys in insertion order (SQLite's rowid order); safe to write under."""
        return iter(list(self._data))

    def items(self) -> list[tuple[K, V]]:
        """The (key, value) pairs in insertion order, as a list safe to write under."""
        return list(self._data.items())

    def rows(self) -> list[V]:
        """The values in insertion order, as a list safe to write under."""
        return list(self._data.values())

    def put(self, key: K, value: V) -> None:
        """Insert or replace (a replaced key keeps its place, as an UPDATE keeps the rowid)."""
        self._own()[key] = value

    def pop(self, key: K) -> V | None:
        """Remove a key; the removed value, or None when it was absent."""
        if key not in self._data:
            return None
        return self._own().pop(key)

    def _own(self) -> dict[K, V]:
        if not self._owned:
            self._data = dict(self._data)
            self._owned = True
        return self._data


@dataclass(frozen=True, slots=True)
class WorkflowRow:
    """The `workflow` table's row: the queried columns and the serialised execution."""

    workflow_id: str
    name: str
    version: int
    status: str
    correlation_id: str | None
    priority: int
    create_time: int
    update_time: int
    end_time: int
    parent_workflow_id: str | None
    idempotency_key: str | None
    created_by: str | None
    timeout_at: int
    body: bytes

    @classmethod
    def of(cls, wf: Workflow) -> WorkflowRow:
        return cls(
            wf.workflowId,
            wf.workflowName,
            wf.workflowVersion,
            wf.status.value,
            wf.correlationId,
            wf.priority,
            wf.createTime,
            wf.updateTime,
            wf.endTime,
            wf.parentWorkflowId,
            wf.idempotencyKey,
            wf.createdBy,
            wf.timeoutAt,
            orjson.dumps(wf.to_record()),
        )

    def load(self) -> Workflow:
        """A fresh execution object: callers may change it without touching the store."""
        return Workflow.from_record(orjson.loads(self.body))

    def search_row(self) -> dict[str, Any]:
        """The searchable fields, as `store.sqlite.searching.WORKFLOW_COLUMNS` maps them."""
        return {
            "workflowId": self.workflow_id,
            "correlationId": self.correlation_id,
            "workflowType": self.name,
            "status": self.status,
            "startTime": self.create_time,
            "endTime": self.end_time,
            "updateTime": self.update_time,
            "parentWorkflowId": self.parent_workflow_id,
            "version": self.version,
            "priority": self.priority,
            "idempotencyKey": self.idempotency_key,
            "createdBy": self.created_by,
        }


@dataclass(frozen=True, slots=True)
class TaskRow:
    """The `task` table's row: the queried columns and the serialised attempt."""

    task_id: str
    workflow_id: str
    seq: int
    ref_name: str
    ref_base: str
    task_type: str
    task_def_name: str
    status: str
    done: bool
    scheduled_time: int
    start_time: int
    end_time: int
    update_time: int
    check_at: int
    rate_limited: bool
    """Whether the attempt counts towards its definition's rate limit (by start time)."""
    domain: str | None
    worker_id: str | None
    body: bytes

    @classmethod
    def of(cls, task: Task, check_at: int) -> TaskRow:
        return cls(
            task.taskId,
            task.workflowInstanceId,
            task.seq,
            task.referenceTaskName,
            task.ref_base,
            task.taskType,
            task.taskDefName,
            task.status.value,
            task.done,
            task.scheduledTime,
            task.startTime,
            task.endTime,
            task.updateTime,
            check_at,
            task.rateLimitPerFrequency > 0,
            task.domain,
            task.workerId,
            orjson.dumps(task.to_record()),
        )

    def load(self) -> Task:
        """A fresh attempt object: callers may change it without touching the store."""
        return Task.from_record(orjson.loads(self.body))

    def search_row(self, workflow_name: str) -> dict[str, Any]:
        """The searchable fields, as `store.sqlite.searching.TASK_COLUMNS` maps them."""
        return {
            "taskId": self.task_id,
            "taskType": self.task_type,
            "taskDefName": self.task_def_name,
            "status": self.status,
            "workflowId": self.workflow_id,
            "workflowType": workflow_name,
            "startTime": self.start_time,
            "endTime": self.end_time,
            "updateTime": self.update_time,
            "scheduledTime": self.scheduled_time,
            "referenceTaskName": self.ref_name,
            "domain": self.domain,
            "workerId": self.worker_id,
        }


Logs = tuple[tuple[str, int], ...]


@dataclass(slots=True)
class MemoryState:
    """Every table of the store; the committed one, or a transaction's working copy."""

    workflow_defs: CowTable[tuple[str, int], bytes] = field(default_factory=CowTable)
    task_defs: CowTable[str, bytes] = field(default_factory=CowTable)
    snapshots: CowTable[str, bytes] = field(default_factory=CowTable)
    workflows: CowTable[str, WorkflowRow] = field(default_factory=CowTable)
    tasks: CowTable[str, TaskRow] = field(default_factory=CowTable)
    queue: CowTable[str, QueueEntry] = field(default_factory=CowTable)
    polls: CowTable[tuple[str, str], PollData] = field(default_factory=CowTable)
    logs: CowTable[str, Logs] = field(default_factory=CowTable)
    """Log lines per task id, oldest first."""
    history: CowTable[str, tuple[HistoryEvent, ...]] = field(default_factory=CowTable)
    """Events per workflow id, in `seq` order."""
    history_seq: int = 0
    """The last `seq` handed out (SQLite's AUTOINCREMENT, rolled back with the transaction)."""
    archive: CowTable[str, tuple[int, bytes]] = field(default_factory=CowTable)
    """(archived at, final JSON) of removed executions, by workflow id."""
    event_handlers: CowTable[str, bytes] = field(default_factory=CowTable)
    """Event handlers' JSON, by name."""
    applications: CowTable[str, bytes] = field(default_factory=CowTable)
    """Applications' JSON, by id."""
    access_keys: CowTable[str, bytes] = field(default_factory=CowTable)
    """Access keys' JSON, by key id."""
    secrets: CowTable[str, bytes] = field(default_factory=CowTable)
    """Server secrets (the token signing key), by name."""
    grants: CowTable[Grant, bool] = field(default_factory=CowTable)
    """Access grants (the value is unused: a set)."""
    users: CowTable[str, bytes] = field(default_factory=CowTable)
    """People's user records' JSON, by id."""
    groups: CowTable[str, bytes] = field(default_factory=CowTable)
    """Groups' JSON, by id."""
    members: CowTable[tuple[str, str], bool] = field(default_factory=CowTable)
    """(group id, user id) of every membership (the value is unused: a set)."""
    app_tags: CowTable[tuple[str, str, str], bool] = field(default_factory=CowTable)
    """(application id, tag key, tag value) of every application tag (a set)."""
    audit: tuple[AuditRecord, ...] = ()
    """The audit log, oldest first (a tuple: a fork shares it until it appends)."""
    sessions: CowTable[str, UiSession] = field(default_factory=CowTable)
    """The UI's sessions, by id."""

    def fork(self) -> MemoryState:
        """A working copy for one transaction, sharing every table until it writes to it."""
        return MemoryState(
            self.workflow_defs.fork(),
            self.task_defs.fork(),
            self.snapshots.fork(),
            self.workflows.fork(),
            self.tasks.fork(),
            self.queue.fork(),
            self.polls.fork(),
            self.logs.fork(),
            self.history.fork(),
            self.history_seq,
            self.archive.fork(),
            self.event_handlers.fork(),
            self.applications.fork(),
            self.access_keys.fork(),
            self.secrets.fork(),
            self.grants.fork(),
            self.users.fork(),
            self.groups.fork(),
            self.members.fork(),
            self.app_tags.fork(),
            self.audit,
            self.sessions.fork(),
        )


def sql_page(items: Sequence[T], offset: int, limit: int) -> list[T]:
    """`LIMIT limit OFFSET offset` as SQLite reads it: a negative limit means no limit."""
    start = max(offset, 0)
    return list(items[start:] if limit < 0 else items[start : start + limit])
