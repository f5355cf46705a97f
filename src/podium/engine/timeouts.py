"""Timeout rules of task attempts and workflows, and when they must next be checked."""

from __future__ import annotations

from dataclasses import dataclass

from podium.model.definitions import TaskDef, TimeoutPolicy
from podium.model.executions import Task
from podium.model.statuses import TaskStatus

__all__ = ["TimedOut", "check_task_timeouts", "next_check_at"]


@dataclass(frozen=True, slots=True)
class TimedOut:
    """A timeout that fell due: the reason, and whether it ends the whole workflow."""

    reason: str
    fails_workflow: bool


def _deadlines(task: Task, td: TaskDef, async_complete: bool) -> list[tuple[int, str]]:
    """(due time, kind) of every timeout that applies to the attempt now."""
    out: list[tuple[int, str]] = []
    delay_ms = task.startDelayInSeconds * 1000
    if td.timeoutPolicy != TimeoutPolicy.ALERT_ONLY:
        if td.totalTimeoutSeconds and td.totalTimeoutSeconds > 0:
            first = task.firstScheduledTime or task.scheduledTime
            out.append((first + td.totalTimeoutSeconds * 1000, "total"))
        if td.timeoutSeconds > 0 and task.startTime > 0:
            out.append((task.startTime + delay_ms + td.timeoutSeconds * 1000, "task"))
        poll = td.pollTimeoutSeconds or 0
        if task.status is TaskStatus.SCHEDULED and poll > 0:
            wait = (poll + task.callbackAfterSeconds) * 1000
            out.append((task.scheduledTime + delay_ms + wait, "poll"))
    response = task.responseTimeoutSeconds
    if task.status is TaskStatus.IN_PROGRESS and response > 0 and not async_complete:
        out.append((task.updateTime + (response + task.callbackAfterSeconds) * 1000, "response"))
    return out


def next_check_at(task: Task, td: TaskDef, *, async_complete: bool = False) -> int:
    """When the sweeper must next look at this attempt (epoch ms); 0 when never."""
    if task.status.terminal:
        return 0
    due = [at for at, _ in _deadlines(task, td, async_complete)]
    return min(due) if due else 0


def check_task_timeouts(
    task: Task, td: TaskDef, now: int, *, async_complete: bool = False
) -> TimedOut | None:
    """The first timeout of a live attempt that is due at `now`, if any."""
    if task.status.terminal:
        return None
    # Conductor checks the total, task and poll timeouts before the response timeout.
    order = {"total": 0, "task": 1, "poll": 2, "response": 3}
    for at, kind in sorted(_deadlines(task, td, async_complete), key=lambda d: (d[0], order[d[1]])):
        if now < at:
            continue
        if kind == "response":
            return TimedOut(
                f"responseTimeout: {task.responseTimeoutSeconds} exceeded for the taskId: "
                f"{task.taskId} with Task Definition: {task.taskDefName}",
                fails_workflow=False,
            )
        configured = td.totalTimeoutSeconds if kind == "total" else td.timeoutSeconds
        if kind == "poll":
            configured = td.pollTimeoutSeconds or 0
        elapsed = (now - (at - configured * 1000)) // 1000
        return TimedOut(
            f"Task timed out after {elapsed} seconds. Timeout configured as {configured} "
            f"seconds. Timeout policy configured to {td.timeoutPolicy.value}",
            fails_workflow=td.timeoutPolicy == TimeoutPolicy.TIME_OUT_WF,
        )
    return None
