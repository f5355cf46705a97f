"""Retry rules: whether a failed attempt is retried, and after how long."""

from __future__ import annotations

from podium.model.definitions import RetryLogic, TaskDef, WorkflowTask
from podium.model.executions import Task

__all__ = ["NEVER_RETRIED", "retry_delay_seconds", "should_retry"]

# Conductor never retries its built-in control-flow tasks, whatever retryCount says.
NEVER_RETRIED = frozenset({"DECISION", "SWITCH", "FORK", "JOIN", "EXCLUSIVE_JOIN", "DO_WHILE"})

_MAX_INT = 2**31 - 1


def should_retry(task: Task, wt: WorkflowTask, td: TaskDef, now: int) -> bool:
    """Whether this terminal, unsuccessful attempt gets another one."""
    if not task.status.retriable or task.taskType in NEVER_RETRIED:
        return False
    expected = wt.retryCount if wt.retryCount is not None else td.retryCount
    if task.retryCount >= expected:
        return False
    total = td.totalTimeoutSeconds or 0
    first = task.firstScheduledTime or task.scheduledTime
    return not (total > 0 and now - first >= total * 1000)


def retry_delay_seconds(td: TaskDef, retry_count: int, jitter: float) -> int:
    """Delay before the next attempt; `jitter` is a random number in [0, 1)."""
    base = td.retryDelaySeconds
    if td.retryLogic == RetryLogic.LINEAR_BACKOFF:
        delay = base * td.backoffScaleFactor * (retry_count + 1)
    elif td.retryLogic == RetryLogic.EXPONENTIAL_BACKOFF:
        delay = base * 2**retry_count
    else:
        delay = base
    delay = min(delay, _MAX_INT)
    if td.maxRetryDelaySeconds and td.maxRetryDelaySeconds > 0:
        delay = min(delay, td.maxRetryDelaySeconds)
    if td.backoffJitterMs and td.backoffJitterMs > 0:
        delay += round(jitter * td.backoffJitterMs / 1000)
    return int(delay)
