"""The system-task runner rides out a database outage instead of failing or dropping its work."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from podium.engine.mappers.external import system_queue
from podium.engine.mappers.waiting import WAIT_QUEUE
from podium.errors import Conflict, StoreUnavailable
from podium.model.requests import TaskResult, TaskResultStatus
from podium.services import build_services
from podium.services import runner as runner_module
from podium.services.context import ServiceContext
from podium.services.systasks import SystemTasks
from podium.services.tasks import TaskService
from podium.store.memory import MemoryStore
from tests.contract.support import task


class FlakyTasks:
    """Refuses the first `failures` results as if the database were away; records the rest."""

    def __init__(self, failures: int, then: Exception | None = None) -> None:
        self.failures = failures
        self.then = then
        self.calls = 0
        self.applied: list[TaskResult] = []

    async def update(self, result: TaskResult, *, then_poll: bool = False) -> Any:
        self.calls += 1
        if self.calls <= self.failures:
            raise StoreUnavailable("the database failed: server closed the connection")
        if self.then is not None:
            raise self.then
        self.applied.append(result)
        return None, None


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_module, "_REPORT_RETRIES_S", (0.0, 0.0, 0.0))


def report(tasks: FlakyTasks) -> None:
    runner = build_services(ServiceContext(store=MemoryStore())).runner
    runner.tasks = cast(TaskService, tasks)
    outcome = (TaskResultStatus.COMPLETED, {"done": True}, None)
    asyncio.run(runner._report(task("t1", task_type="WAIT"), outcome))


def test_an_outcome_is_reported_again_until_the_database_is_back() -> None:
    tasks = FlakyTasks(failures=2)
    report(tasks)
    assert tasks.calls == 3
    assert [(r.taskId, r.status, r.outputData) for r in tasks.applied] == [
        ("t1", TaskResultStatus.COMPLETED, {"done": True})
    ]


def test_reporting_gives_up_to_the_lease_after_the_last_retry() -> None:
    tasks = FlakyTasks(failures=10)
    report(tasks)  # returns: the claim's lease brings the task back
    assert tasks.calls == 4
    assert tasks.applied == []


def test_an_outcome_refused_as_stale_is_not_reported_again() -> None:
    tasks = FlakyTasks(failures=1, then=Conflict("already COMPLETED"))
    report(tasks)
    assert tasks.calls == 2


class LeaseRecorder:
    """Records the lease each claim asks for (and claims nothing)."""

    def __init__(self) -> None:
        self.leases: dict[str, int] = {}

    async def claim(self, queue: str, count: int, lease_ms: int) -> list[Any]:
        self.leases[queue] = lease_ms
        return []


def test_a_timed_wait_is_leased_for_seconds_an_http_call_for_a_minute() -> None:
    runner = build_services(ServiceContext(store=MemoryStore())).runner
    recorder = LeaseRecorder()
    runner.system = cast(SystemTasks, recorder)
    for queue in (WAIT_QUEUE, system_queue("HTTP")):
        asyncio.run(runner._claim(queue))
    assert recorder.leases == {WAIT_QUEUE: 10_000, system_queue("HTTP"): 60_000}
