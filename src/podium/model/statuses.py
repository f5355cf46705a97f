"""Workflow and task statuses with Conductor's terminal / successful / retriable flags."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["TaskStatus", "WorkflowStatus", "task_status_from_workflow", "workflow_status_from_task"]


class WorkflowStatus(StrEnum):
    """Status of a workflow execution (Conductor `Workflow.WorkflowStatus`)."""

    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    TERMINATED = "TERMINATED"
    PAUSED = "PAUSED"

    @property
    def terminal(self) -> bool:
        return self not in (WorkflowStatus.RUNNING, WorkflowStatus.PAUSED)

    @property
    def successful(self) -> bool:
        return self in (WorkflowStatus.COMPLETED, WorkflowStatus.PAUSED)


class TaskStatus(StrEnum):
    """Status of a task attempt (Conductor `Task.Status`)."""

    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    COMPLETED_WITH_ERRORS = "COMPLETED_WITH_ERRORS"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    FAILED_WITH_TERMINAL_ERROR = "FAILED_WITH_TERMINAL_ERROR"
    CANCELED = "CANCELED"

    @property
    def terminal(self) -> bool:
        return self not in (TaskStatus.SCHEDULED, TaskStatus.IN_PROGRESS)

    @property
    def successful(self) -> bool:
        return self in _SUCCESSFUL

    @property
    def retriable(self) -> bool:
        return self not in (
            TaskStatus.SKIPPED,
            TaskStatus.FAILED_WITH_TERMINAL_ERROR,
            TaskStatus.CANCELED,
        )


_SUCCESSFUL = frozenset(
    {
        TaskStatus.SCHEDULED,
        TaskStatus.IN_PROGRESS,
        TaskStatus.COMPLETED,
        TaskStatus.COMPLETED_WITH_ERRORS,
        TaskStatus.SKIPPED,
    }
)


def workflow_status_from_task(status: TaskStatus) -> WorkflowStatus:
    """The status a workflow ends in when this unrecoverable task status ends it."""
    if status is TaskStatus.CANCELED:
        return WorkflowStatus.TERMINATED
    if status is TaskStatus.TIMED_OUT:
        return WorkflowStatus.TIMED_OUT
    return WorkflowStatus.FAILED


def task_status_from_workflow(status: WorkflowStatus) -> TaskStatus:
    """The status of a SUB_WORKFLOW task whose child workflow is in this status."""
    return {
        WorkflowStatus.COMPLETED: TaskStatus.COMPLETED,
        WorkflowStatus.FAILED: TaskStatus.FAILED,
        WorkflowStatus.TIMED_OUT: TaskStatus.TIMED_OUT,
        WorkflowStatus.TERMINATED: TaskStatus.CANCELED,
    }.get(status, TaskStatus.IN_PROGRESS)
