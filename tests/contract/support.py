"""Builders and the scenario type shared by the contract tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from podium.model.executions import HistoryEvent, Task, Workflow
from podium.model.statuses import TaskStatus, WorkflowStatus
from podium.store import Store

__all__ = ["Run", "Scenario", "event", "known_sqlite_bug", "task", "workflow"]

Scenario = Callable[[Store], Awaitable[None]]
Run = Callable[[Scenario], None]
"""Runs a scenario against an open store, in its own event loop, and closes the store."""


def workflow(
    workflow_id: str,
    name: str = "checkout",
    *,
    version: int = 1,
    status: WorkflowStatus = WorkflowStatus.RUNNING,
    created: int = 1_000,
    correlation_id: str | None = None,
    idempotency_key: str | None = None,
    timeout_at: int = 0,
) -> Workflow:
    """An execution with the fields the store queries set."""
    return Workflow(
        workflowId=workflow_id,
        workflowName=name,
        workflowVersion=version,
        defHash="hash-1",
        status=status,
        createTime=created,
        updateTime=created,
        correlationId=correlation_id,
        idempotencyKey=idempotency_key,
        timeoutAt=timeout_at,
        input={"order": {"id": workflow_id, "lines": [1, 2]}},
    )


def task(
    task_id: str,
    workflow_id: str = "wf-1",
    ref: str = "charge",
    *,
    seq: int = 1,
    status: TaskStatus = TaskStatus.SCHEDULED,
    task_type: str = "charge_card",
    iteration: int = 0,
    scheduled: int = 1_000,
    started: int = 0,
) -> Task:
    """A task attempt of a SIMPLE task whose definition is named like its type."""
    return Task(
        taskId=task_id,
        workflowInstanceId=workflow_id,
        taskType=task_type,
        referenceTaskName=ref,
        status=status,
        taskDefName=task_type,
        seq=seq,
        iteration=iteration,
        scheduledTime=scheduled,
        startTime=started,
        inputData={"amount": 10},
    )


def event(workflow_id: str, what: str, at: int, task_id: str | None = None) -> HistoryEvent:
    """A history record by the test actor on node n1."""
    return HistoryEvent(workflow_id, at, what, actor="tester", node="n1", task_id=task_id)


def known_sqlite_bug(request: pytest.FixtureRequest, store: Store, reason: str) -> None:
    """Expect the SQLite case to fail until the bug is fixed (strict: a fix makes it fail)."""
    if store.name == "sqlite":
        request.applymarker(pytest.mark.xfail(reason=f"SQLite store bug: {reason}", strict=True))
