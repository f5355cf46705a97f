"""Executions: a workflow run and its task attempts, in Conductor's JSON shapes.

These are plain dataclasses (not pydantic) because they sit on the hot path: every poll and update
loads, changes and stores them. Attribute names are Conductor's JSON names so that a stored body
round-trips with `Task(**body)`; `to_json()` produces the API shape (nulls omitted).
"""

from __future__ import annotations

import copy
import dataclasses
import operator
from dataclasses import dataclass, field
from typing import Any

from podium.model.statuses import TaskStatus, WorkflowStatus

__all__ = ["HistoryEvent", "PollData", "QueueEntry", "Task", "Workflow", "base_ref"]

JSON = dict[str, Any]


def base_ref(ref: str, iteration: int) -> str:
    """The reference name without a loop's `__<iteration>` suffix."""
    suffix = f"__{iteration}"
    if iteration > 0 and ref.endswith(suffix):
        return ref[: -len(suffix)]
    return ref


@dataclass(slots=True)
class Task:
    """One attempt of one task of a workflow (Conductor `Task`)."""

    taskId: str
    workflowInstanceId: str
    taskType: str
    referenceTaskName: str
    status: TaskStatus = TaskStatus.SCHEDULED
    taskDefName: str = ""
    workflowType: str | None = None
    correlationId: str | None = None
    inputData: JSON = field(default_factory=dict)
    outputData: JSON = field(default_factory=dict)
    retryCount: int = 0
    seq: int = 0
    pollCount: int = 0
    scheduledTime: int = 0
    startTime: int = 0
    endTime: int = 0
    updateTime: int = 0
    firstScheduledTime: int = 0
    startDelayInSeconds: int = 0
    callbackAfterSeconds: int = 0
    responseTimeoutSeconds: int = 0
    retriedTaskId: str | None = None
    retried: bool = False
    executed: bool = False
    callbackFromWorker: bool = True
    reasonForIncompletion: str | None = None
    workerId: str | None = None
    workflowTask: JSON | None = None
    domain: str | None = None
    rateLimitPerFrequency: int = 0
    rateLimitFrequencyInSeconds: int = 1
    workflowPriority: int = 0
    isolationGroupId: str | None = None
    executionNameSpace: str | None = None
    iteration: int = 0
    subWorkflowId: str | None = None
    subworkflowChanged: bool = False
    parentTaskId: str | None = None
    externalInputPayloadStoragePath: str | None = None
    externalOutputPayloadStoragePath: str | None = None
    executionMetadata: JSON | None = None

    @property
    def ref_base(self) -> str:
        return base_ref(self.referenceTaskName, self.iteration)

    @property
    def done(self) -> bool:
        """True once the decider has acted on this attempt (moved past it or retried it)."""
        return self.executed or self.retried

    @property
    def task_definition(self) -> JSON | None:
        wt = self.workflowTask
        if wt is None:
            return None
        td = wt.get("taskDefinition")
        return td if isinstance(td, dict) else None

    def queue_wait_time(self) -> int:
        if self.startTime <= 0 or self.scheduledTime <= 0:
            return 0
        return max(0, self.startTime - self.scheduledTime)

    def to_record(self) -> JSON:
        """The stored form: every field, nulls included, enums as names."""
        return dict(zip(_TASK_NAMES, _task_values(self), strict=True))

    @classmethod
    def from_record(cls, record: JSON) -> Task:
        try:
            task = cls(**record)
        except TypeError:  # a record written by another version: keep the fields we know
            task = cls(**{k: v for k, v in record.items() if k in _TASK_FIELD_NAMES})
        task.status = TaskStatus(task.status)
        return task

    def to_json(self) -> JSON:
        """The API shape of Conductor's Task, with its derived fields."""
        out = {k: v for k, v in self.to_record().items() if v is not None}
        out["queueWaitTime"] = self.queue_wait_time()
        out["taskDefinition"] = self.task_definition
        out["loopOverTask"] = self.iteration > 0
        return out

    def copy(self) -> Task:
        """A shallow copy (containers shared): callers replace fields, never mutate them."""
        return Task(*_task_values(self))


_TASK_FIELDS = dataclasses.fields(Task)
_TASK_FIELD_NAMES = frozenset(f.name for f in _TASK_FIELDS)
_TASK_NAMES = tuple(f.name for f in _TASK_FIELDS)
_task_values = operator.attrgetter(*_TASK_NAMES)


@dataclass(slots=True)
class Workflow:
    """One execution of a workflow definition (Conductor `Workflow`, without its tasks)."""

    workflowId: str
    workflowName: str
    workflowVersion: int
    defHash: str
    status: WorkflowStatus = WorkflowStatus.RUNNING
    createTime: int = 0
    updateTime: int = 0
    endTime: int = 0
    lastRetriedTime: int = 0
    correlationId: str | None = None
    priority: int = 0
    input: JSON = field(default_factory=dict)
    output: JSON = field(default_factory=dict)
    variables: JSON = field(default_factory=dict)
    taskToDomain: JSON = field(default_factory=dict)
    reasonForIncompletion: str | None = None
    failedReferenceTaskNames: list[str] = field(default_factory=list)
    failedTaskNames: list[str] = field(default_factory=list)
    failedTaskId: str | None = None
    parentWorkflowId: str | None = None
    parentWorkflowTaskId: str | None = None
    reRunFromWorkflowId: str | None = None
    event: str | None = None
    createdBy: str | None = None
    updatedBy: str | None = None
    ownerApp: str | None = None
    idempotencyKey: str | None = None
    externalInputPayloadStoragePath: str | None = None
    externalOutputPayloadStoragePath: str | None = None
    taskCount: int = 0
    """How many task attempts this execution has (the next `seq` is taskCount + 1)."""
    timeoutAt: int = 0
    """When the workflow-level timeout falls due (epoch ms), 0 when it has none."""
    skippedRefs: list[str] = field(default_factory=list)
    """Reference names skipped by the skiptask operation: the decider steps over them."""
    awaited: bool = False
    """A blocking execute call waits for this execution: every change is announced to all
    nodes (otherwise only to the node that made it, sparing the others a wake-up)."""

    def to_record(self) -> JSON:
        return {f.name: getattr(self, f.name) for f in _WF_FIELDS}

    @classmethod
    def from_record(cls, record: JSON) -> Workflow:
        try:
            wf = cls(**record)
        except TypeError:  # a record written by another version: keep the fields we know
            wf = cls(**{k: v for k, v in record.items() if k in _WF_FIELD_NAMES})
        wf.status = WorkflowStatus(wf.status)
        return wf

    def to_json(self, definition: JSON | None = None, tasks: list[Task] | None = None) -> JSON:
        """The API shape of Conductor's Workflow."""
        out = {k: v for k, v in self.to_record().items() if v is not None and k not in _WF_INTERNAL}
        out["startTime"] = self.createTime
        out["tasks"] = [t.to_json() for t in tasks or ()]
        if definition is not None:
            out["workflowDefinition"] = definition
        return out

    def copy(self) -> Workflow:
        """A shallow copy (containers shared): callers replace fields, never mutate them."""
        return copy.copy(self)


_WF_FIELDS = dataclasses.fields(Workflow)
_WF_FIELD_NAMES = frozenset(f.name for f in _WF_FIELDS)
_WF_INTERNAL = frozenset(
    {"defHash", "taskCount", "timeoutAt", "failedTaskId", "skippedRefs", "awaited"}
)


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A task made pollable on a queue from `visible_at` (epoch ms); higher priority first."""

    queue: str
    task_id: str
    workflow_id: str
    visible_at: int
    priority: int = 0


@dataclass(frozen=True, slots=True)
class PollData:
    """The last poll of a queue by a worker (Conductor `PollData`)."""

    queueName: str
    domain: str | None
    workerId: str | None
    lastPollTime: int

    def to_json(self) -> JSON:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One state transition of a workflow or a task: the append-only audit trail."""

    workflow_id: str
    at: int
    event: str
    actor: str
    node: str
    task_id: str | None = None
    ref: str | None = None
    from_status: str | None = None
    to_status: str | None = None
    reason: str | None = None
    seq: int = 0

    def to_json(self) -> JSON:
        out: JSON = {
            "seq": self.seq,
            "workflowId": self.workflow_id,
            "time": self.at,
            "event": self.event,
            "actor": self.actor,
            "node": self.node,
        }
        optional = {
            "taskId": self.task_id,
            "taskReferenceName": self.ref,
            "fromStatus": self.from_status,
            "toStatus": self.to_status,
            "reason": self.reason,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        return out
