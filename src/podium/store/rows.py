"""How executions become SQL rows, shared by the SQLite and PostgreSQL stores.

Both schemas order the columns the same way: the values a query filters on, then the JSON body,
then the primary key last (it is the WHERE of an UPDATE and the last value of an INSERT).
"""

from __future__ import annotations

import orjson

from podium.model.executions import HistoryEvent, Task, Workflow
from podium.store import AuditRecord

__all__ = [
    "WORKFLOW_ROW_COLUMNS",
    "audit_row",
    "history_row",
    "load_task",
    "load_workflow",
    "task_row",
    "workflow_row",
]

WORKFLOW_ROW_COLUMNS = (
    "workflow_name",
    "workflow_version",
    "status",
    "correlation_id",
    "priority",
    "create_time",
    "update_time",
    "end_time",
    "parent_workflow_id",
    "idempotency_key",
    "created_by",
    "timeout_at",
    "body",
    "workflow_id",
)
"""The `workflow` columns in the order of `workflow_row`'s values."""


def task_row(task: Task, check_at: int) -> tuple[object, ...]:
    """workflow_id, seq, ref_name, ref_base, task_type, task_def_name, status, done,
    scheduled/start/end/update times, check_at, rate_limited, domain, worker_id, body, task_id."""
    return (
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
        task.taskId,
    )


def workflow_row(wf: Workflow) -> tuple[object, ...]:
    """workflow_name, version, status, correlation_id, priority, create/update/end times,
    parent_workflow_id, idempotency_key, created_by, timeout_at, body, workflow_id."""
    return (
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
        wf.workflowId,
    )


def history_row(e: HistoryEvent) -> tuple[object, ...]:
    """workflow_id, task_id, ref_name, at, event, actor, node, from_status, to_status, reason."""
    return (
        e.workflow_id,
        e.task_id,
        e.ref,
        e.at,
        e.event,
        e.actor,
        e.node,
        e.from_status,
        e.to_status,
        e.reason,
    )


def audit_row(r: AuditRecord) -> tuple[object, ...]:
    """at, principal, address, method, path, resource, status, node (`seq` is the store's)."""
    return (r.at, r.principal, r.address, r.method, r.path, r.resource, r.status, r.node)


def load_task(body: bytes) -> Task:
    """A task attempt from its stored body."""
    return Task.from_record(orjson.loads(body))


def load_workflow(body: bytes) -> Workflow:
    """An execution from its stored body."""
    return Workflow.from_record(orjson.loads(body))
