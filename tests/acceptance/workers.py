"""Worker functions the acceptance tests run through conductor-python's TaskHandler.

They live at module level so the SDK can hand them to its `spawn`ed worker processes by
reference. Unlike the rest of the suite this module does not use postponed annotations:
the SDK reads parameter annotations at runtime (`inspect.signature`) to convert task
input, and a string annotation such as `"str"` makes it fail with `isinstance()` errors.

Task names are unique per test; tests import the constants instead of repeating them.
"""

import asyncio
import time
from collections.abc import Callable
from typing import Any

from conductor.client.context.task_context import TaskInProgress, get_task_context
from conductor.client.worker.exception import NonRetryableException
from conductor.client.worker.worker_task import worker_task

__all__ = [
    "ASYNC_TASK",
    "BATCH_TASK",
    "DOMAIN_TASK",
    "FLAKY_TASK",
    "GREET_TASK",
    "LEASE_TASK",
    "NO_LEASE_TASK",
    "TERMINAL_TASK",
    "TIP_TASK",
]

GREET_TASK = "greet"
ASYNC_TASK = "acc_async_shout"
BATCH_TASK = "acc_batch_square"
TIP_TASK = "acc_tip_task"
FLAKY_TASK = "acc_flaky_task"
TERMINAL_TASK = "acc_terminal_task"
LEASE_TASK = "acc_lease_task"
NO_LEASE_TASK = "acc_no_lease_task"
DOMAIN_TASK = "acc_domain_task"

BLUE_WORKER_ID = "blue-worker"
PLAIN_WORKER_ID = "plain-worker"

# How long the lease workers hold their first attempt (see test_task_semantics).
LONG_WORK_SECONDS = 6.5

WorkerFn = Callable[..., Any]


def worker(task_name: str, **options: Any) -> Callable[[WorkerFn], WorkerFn]:
    """`@worker_task` with a type mypy can see (conductor-python ships no type hints)."""
    decorate: Callable[[WorkerFn], WorkerFn] = worker_task(
        task_definition_name=task_name, **options
    )
    return decorate


# --- test_worker_runtime -------------------------------------------------------------------


@worker(GREET_TASK)
def greet(name: str) -> str:
    """The SDK's helloworld worker: a plain string becomes `{"result": ...}`."""
    return f"Hello {name}"


@worker(ASYNC_TASK)
async def async_shout(text: str) -> dict[str, object]:
    """An `async def` worker: TaskHandler runs it on AsyncTaskRunner (update-v2 only)."""
    await asyncio.sleep(0.01)
    return {"text": text.upper() + "!"}


@worker(BATCH_TASK, thread_count=5)
def batch_square(n: int) -> dict[str, object]:
    """Holds each task briefly so that several are in flight at once."""
    time.sleep(0.3)
    return {"square": n * n}


# --- test_task_semantics -------------------------------------------------------------------


@worker(TIP_TASK)
def report_progress(job: str) -> dict[str, object] | TaskInProgress:
    """Asks to be called back until the server has handed the task out three times."""
    polls = get_task_context().get_poll_count()
    if polls < 3:
        return TaskInProgress(callback_after_seconds=1, output={"job": job, "polls": polls})
    return {"job": job, "polls": polls, "done": True}


@worker(FLAKY_TASK)
def flaky(label: str) -> dict[str, object]:
    """Fails on its first two attempts, then succeeds."""
    attempt = get_task_context().get_retry_count()
    if attempt < 2:
        raise RuntimeError(f"{label} failed on attempt {attempt}")
    return {"label": label, "succeededOnAttempt": attempt}


@worker(TERMINAL_TASK)
def reject(card: str) -> dict[str, object]:
    """Fails in a way that no retry can fix."""
    raise NonRetryableException(f"card {card} is invalid")


@worker(LEASE_TASK, lease_extend_enabled=True)
def long_with_lease(job: str) -> dict[str, object]:
    """Works longer than the task's responseTimeoutSeconds; the SDK heartbeats meanwhile."""
    time.sleep(LONG_WORK_SECONDS)
    return {"job": job, "attempt": get_task_context().get_retry_count()}


@worker(NO_LEASE_TASK, thread_count=2)
def long_without_lease(job: str) -> dict[str, object]:
    """First attempt outlives responseTimeoutSeconds without heartbeats; retries are quick."""
    attempt = get_task_context().get_retry_count()
    if attempt == 0:
        time.sleep(LONG_WORK_SECONDS)
    return {"job": job, "attempt": attempt}


@worker(DOMAIN_TASK, domain="blue", worker_id=BLUE_WORKER_ID)
def in_blue_domain(job: str) -> dict[str, object]:
    return {"job": job, "ranBy": "blue"}


@worker(DOMAIN_TASK, worker_id=PLAIN_WORKER_ID)
def in_no_domain(job: str) -> dict[str, object]:
    return {"job": job, "ranBy": "plain"}
