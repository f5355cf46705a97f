"""Helpers for the acceptance modules: SDK workers, the TaskHandler's lifetime, waiting."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

from conductor.client.automator.task_handler import TaskHandler, get_registered_workers

from tests.acceptance.proxy import Exchange, RecordingProxy
from tests.support.server import wait_for

__all__ = [
    "TERMINAL",
    "running_task_handler",
    "sdk_workers",
    "task_updates",
    "unique",
    "wait_for_workflow",
]

TERMINAL = frozenset({"COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED"})
_UPDATE_PATHS = frozenset({"/api/tasks/update-v2", "/api/tasks"})


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def sdk_workers(*task_names: str) -> list[Any]:
    """The SDK `Worker`s of every `@worker_task` registration (all domains) for these names.

    TaskHandler's own scan would pick up every worker the test session has imported; a module
    runs only the ones it exercises.
    """
    found = [w for w in get_registered_workers() if w.get_task_definition_name() in task_names]
    missing = set(task_names) - {w.get_task_definition_name() for w in found}
    assert not missing, f"no @worker_task registered for {sorted(missing)}"
    return found


@contextmanager
def running_task_handler(
    configuration: Any, workers: Sequence[Any], task_client: Any
) -> Iterator[Any]:
    """Run the SDK's TaskHandler (one process per worker) and stop it however the block ends.

    Yields once Podium has recorded a poll from every worker, so that tests time only their
    own work and not the start of the worker processes.
    """
    handler = TaskHandler(
        workers=list(workers), configuration=configuration, scan_for_annotated_workers=False
    )
    try:
        handler.start_processes()
        for worker in workers:
            wait_for(
                partial(_has_polled, task_client, worker),
                30,
                f"worker {worker.get_task_definition_name()} (domain {worker.domain}) to poll",
            )
        yield handler
    finally:
        handler.stop_processes()
        handler.logger_process.join(5)


def _has_polled(task_client: Any, worker: Any) -> bool:
    return any(
        data.worker_id == worker.worker_id and (data.domain or None) == (worker.domain or None)
        for data in task_client.get_task_poll_data(worker.get_task_definition_name())
    )


def wait_for_workflow(workflow_client: Any, workflow_id: str, timeout: float = 20) -> Any:
    """The workflow (with its tasks) once it has reached a terminal status."""

    def finished() -> Any:
        workflow = workflow_client.get_workflow(workflow_id, include_tasks=True)
        return workflow if workflow.status in TERMINAL else None

    return wait_for(finished, timeout, f"workflow {workflow_id} to reach a terminal status")


def task_updates(
    proxy: RecordingProxy, task_ids: set[str], timeout: float = 5
) -> dict[str, list[Exchange]]:
    """Updates (update-v2 or v1 `POST /api/tasks`) workers sent for these tasks, in order.

    Waits until each task has at least one: the proxy records an exchange only after Podium
    has answered it, so a test may see a workflow complete just before its update is on record.
    """

    def recorded() -> dict[str, list[Exchange]] | None:
        by_task: dict[str, list[Exchange]] = {}
        for exchange in proxy.exchanges("POST"):
            if exchange.path in _UPDATE_PATHS:
                by_task.setdefault(exchange.request_json()["taskId"], []).append(exchange)
        return by_task if task_ids <= by_task.keys() else None

    return wait_for(recorded, timeout, f"updates of tasks {sorted(task_ids)}")
