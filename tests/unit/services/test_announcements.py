"""What a unit of work announces to the other nodes (PostgreSQL NOTIFY) and what it keeps to
itself: every announcement costs each commit PostgreSQL's global notify lock and every node a
wake-up, so only what a waiter elsewhere could use is sent."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import pytest

from podium.model.definitions import WorkflowDef
from podium.model.requests import StartWorkflowRequest, TaskResult, TaskResultStatus
from podium.services import Services, build_services
from podium.services.context import ServiceContext
from podium.store.memory import MemoryStore, MemoryTx

Announced = list[set[str]]


@pytest.fixture
def announced(monkeypatch: pytest.MonkeyPatch) -> Announced:
    sent: Announced = []

    async def announce(self: MemoryTx, keys: Iterable[str]) -> None:
        sent.append(set(keys))

    monkeypatch.setattr(MemoryTx, "announce", announce)
    return sent


async def two_step_services() -> Services:
    store = MemoryStore()
    await store.open()
    services = build_services(ServiceContext(store=store))
    definition = WorkflowDef.model_validate(
        {
            "name": "two_steps",
            "tasks": [
                {"name": "step", "taskReferenceName": "first"},
                {"name": "step", "taskReferenceName": "second"},
            ],
        }
    )
    await services.metadata.register_workflow(definition, overwrite=True)
    return services


def completed(task_id: str, workflow_id: str) -> TaskResult:
    return TaskResult(
        taskId=task_id, workflowInstanceId=workflow_id, status=TaskResultStatus.COMPLETED
    )


def test_a_started_task_is_announced_but_one_claimed_in_the_same_unit_is_not(
    announced: Announced,
) -> None:
    async def scenario() -> None:
        services = await two_step_services()
        announced.clear()
        workflow_id = await services.workflows.start(StartWorkflowRequest(name="two_steps"))
        assert announced == [{"step"}]  # a poller on any node may take `first`

        announced.clear()
        [first] = await services.tasks.poll("step", worker_id="w", domain=None)
        _, second = await services.tasks.update(
            completed(first.taskId, workflow_id), then_poll=True
        )
        # `second` was queued and handed to this worker by the same update-v2: nothing new
        # for anyone else, and nobody waits on the execution itself.
        assert second is not None
        assert second.referenceTaskName == "second"
        assert announced == []

        await services.tasks.update(completed(second.taskId, workflow_id))
        assert announced == []

    asyncio.run(scenario())


def test_a_task_queued_but_not_claimed_by_its_unit_is_announced(announced: Announced) -> None:
    async def scenario() -> None:
        services = await two_step_services()
        workflow_id = await services.workflows.start(StartWorkflowRequest(name="two_steps"))
        [first] = await services.tasks.poll("step", worker_id="w", domain=None)
        announced.clear()
        await services.tasks.update(completed(first.taskId, workflow_id))  # plain update
        assert announced == [{"step"}]

    asyncio.run(scenario())


def test_every_change_of_an_awaited_execution_is_announced(announced: Announced) -> None:
    async def scenario() -> None:
        services = await two_step_services()
        announced.clear()
        waiting = asyncio.create_task(
            services.workflows.execute(
                StartWorkflowRequest(name="two_steps"), wait_until=[], wait_seconds=5
            )
        )

        async def started() -> None:
            while not announced:
                await asyncio.sleep(0.001)

        await asyncio.wait_for(started(), 5)
        [start] = announced
        [key] = start - {"step"}
        assert key.startswith("wf:")
        [first] = await services.tasks.poll("step", worker_id="w", domain=None)
        _, second = await services.tasks.update(completed(first.taskId, key[3:]), then_poll=True)
        assert second is not None
        await services.tasks.update(completed(second.taskId, key[3:]))
        assert announced[1:] == [{key}, {key}]
        answer, timed_out = await asyncio.wait_for(waiting, 5)
        assert (answer["status"], timed_out) == ("COMPLETED", False)

    asyncio.run(scenario())
