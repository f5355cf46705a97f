"""The retention loop over real services, on the memory store (and two PostgreSQL nodes), with
an injected clock: nothing here waits for real days to pass."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from podium.errors import NotFound
from podium.model.definitions import WorkflowDef
from podium.model.requests import (
    StartWorkflowRequest,
    TaskExecLog,
    TaskResult,
    TaskResultStatus,
)
from podium.services import (
    NullObserver,
    RetentionPolicy,
    ServiceContext,
    Services,
    build_services,
)
from podium.store import Store
from podium.store.memory import MemoryStore
from podium.store.postgres import PostgresStore
from tests.support.postgres import postgres_database

DAY = 86_400_000
T0 = 1_800_000_000_000
ONE_STEP = WorkflowDef.model_validate(
    {"name": "one_step", "version": 1, "tasks": [{"name": "work", "taskReferenceName": "w"}]}
)


class Clock:
    """The services' clock, moved by the test."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


class Purges(NullObserver):
    """Records what retention reports."""

    def __init__(self) -> None:
        self.reported: list[tuple[str, int]] = []

    def executions_purged(self, mode: str, count: int) -> None:
        self.reported.append((mode, count))


def services(store: Store, clock: Clock, node: str = "n1", **policy: Any) -> Services:
    ctx = ServiceContext(store=store, clock=clock, node=node, observer=Purges())
    return build_services(ctx, retention=RetentionPolicy(**policy))


def run(store: Store, scenario: Callable[[], Awaitable[None]]) -> None:
    async def main() -> None:
        await store.open()
        try:
            await scenario()
        finally:
            await store.close()

    asyncio.run(main())


async def start(svc: Services) -> str:
    return await svc.workflows.start(StartWorkflowRequest(name="one_step", workflowDef=ONE_STEP))


async def completed(svc: Services) -> str:
    """An execution whose one task a worker completed (so it has a task, a log and history)."""
    workflow_id = await start(svc)
    (task,) = await svc.tasks.poll("work", worker_id="w1", domain=None)
    result = TaskResult(
        workflowInstanceId=workflow_id,
        taskId=task.taskId,
        status=TaskResultStatus.COMPLETED,
        logs=[TaskExecLog(log="done", createdTime=T0)],
    )
    await svc.tasks.update(result)
    return workflow_id


async def terminated(svc: Services) -> str:
    workflow_id = await start(svc)
    await svc.operations.terminate(workflow_id, "enough")
    return workflow_id


async def is_gone(svc: Services, workflow_id: str) -> bool:
    try:
        await svc.workflows.get_json(workflow_id)
    except NotFound:
        return True
    return False


async def assert_purged(svc: Services, workflow_id: str) -> None:
    """Gone for good: no execution, no archive, no history."""
    assert await is_gone(svc, workflow_id)
    with pytest.raises(NotFound):
        await svc.workflows.history(workflow_id)


async def wait_until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + 5
    while not await condition():
        assert time.monotonic() < deadline, f"timed out after 5 s waiting for {what}"
        await asyncio.sleep(0.01)


@asynccontextmanager
async def looping(svc: Services) -> AsyncIterator[None]:
    """The retention loop running in the background for the block."""
    loop = asyncio.create_task(svc.retention.run())
    try:
        yield
    finally:
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop


def test_off_by_default_nothing_is_ever_purged() -> None:
    store, clock = MemoryStore(), Clock()
    svc = services(store, clock)

    async def scenario() -> None:
        workflow_id = await completed(svc)
        clock.now += 10_000 * DAY
        assert not svc.retention.policy.enabled
        assert await svc.retention.purge_once() == 0
        await svc.retention.run()  # returns at once
        assert (await svc.workflows.get_json(workflow_id))["status"] == "COMPLETED"

    run(store, scenario)


def test_delete_mode_purges_only_what_ended_longer_ago_than_the_age() -> None:
    store, clock = MemoryStore(), Clock()
    svc = services(store, clock, days=30)

    async def scenario() -> None:
        old = await completed(svc)
        old_task = (await svc.workflows.get_json(old))["tasks"][0]["taskId"]
        async with store.transaction() as tx:
            assert await tx.task_logs(old_task) == [("done", T0)]
        running = await start(svc)
        clock.now += 10 * DAY
        younger = await terminated(svc)
        clock.now += 20 * DAY  # `old` ended exactly 30 days ago: not yet past the age
        assert await svc.retention.purge_once() == 0
        clock.now += 1
        assert await svc.retention.purge_once() == 1
        await assert_purged(svc, old)  # its audit trail went with it
        async with store.transaction() as tx:
            assert (await tx.get_task(old_task), await tx.task_logs(old_task)) == (None, [])
        assert (await svc.workflows.get_json(younger))["status"] == "TERMINATED"
        clock.now += 1_000 * DAY
        assert await svc.retention.purge_once() == 1, "a running execution is never purged"
        assert (await svc.workflows.get_json(running))["status"] == "RUNNING"

    run(store, scenario)


def test_archive_mode_keeps_the_final_json_and_the_history_and_drops_the_rest() -> None:
    store, clock = MemoryStore(), Clock()
    svc = services(store, clock, days=1, mode="archive")

    async def scenario() -> None:
        workflow_id = await completed(svc)
        before = await svc.workflows.get_json(workflow_id)
        task_id = before["tasks"][0]["taskId"]
        clock.now += 2 * DAY
        assert await svc.retention.purge_once() == 1
        assert await svc.workflows.get_json(workflow_id) == before
        history = await svc.workflows.history(workflow_id)
        assert (history[-1].event, history[-1].actor) == ("workflow_removed", "retention")
        assert history[-1].reason == "retention: ended more than 1 day ago"
        async with store.transaction() as tx:
            assert await tx.get_workflow(workflow_id) is None
            assert await tx.get_task(task_id) is None
            assert await tx.task_logs(task_id) == []
        clock.now += 100 * DAY
        assert await svc.retention.purge_once() == 0, "archive mode keeps the archive"

    run(store, scenario)


def test_delete_mode_also_deletes_archived_executions_once_archived_for_the_age() -> None:
    store, clock = MemoryStore(), Clock()
    svc = services(store, clock, days=30)

    async def scenario() -> None:
        workflow_id = await completed(svc)
        await svc.operations.remove(workflow_id, archive=True)
        clock.now += 30 * DAY + 1
        assert await svc.retention.purge_once() == 1
        await assert_purged(svc, workflow_id)

    run(store, scenario)


def test_batches_are_bounded_reported_and_repeated_until_nothing_is_due(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, clock = MemoryStore(), Clock()
    svc = services(store, clock, days=1, batch=2)

    async def scenario() -> None:
        ids = []
        for _ in range(5):
            clock.now += 1  # they ended one after the other: purged in that order
            ids.append(await terminated(svc))
        clock.now += 2 * DAY
        assert await svc.retention.purge_batch() == 2
        with caplog.at_level(logging.INFO, logger="podium.retention"):
            assert await svc.retention.purge_once() == 3
        assert isinstance(svc.ctx.observer, Purges)
        assert svc.ctx.observer.reported == [("delete", 2), ("delete", 2), ("delete", 1)]
        records = [r.__dict__ for r in caplog.records if r.name == "podium.retention"]
        assert [(r["action"], r["mode"], r["count"]) for r in records] == [
            ("retention_purged", "delete", 2),
            ("retention_purged", "delete", 1),
        ]
        assert [i for r in records for i in r["workflowIds"]] == ids[2:]
        assert records[0]["endedBefore"] == clock.now - DAY

    run(store, scenario)


def test_the_background_loop_purges_what_falls_due_while_it_runs() -> None:
    store, clock = MemoryStore(), Clock()
    svc = services(store, clock, days=1, interval_s=0.01)

    async def scenario() -> None:
        workflow_id = await completed(svc)
        async with looping(svc):
            await asyncio.sleep(0.05)  # a few rounds with nothing due
            assert not await is_gone(svc, workflow_id)
            clock.now += 2 * DAY
            await wait_until(lambda: is_gone(svc, workflow_id), "the purge")

    run(store, scenario)


def test_the_loop_logs_a_failed_round_and_carries_on(caplog: pytest.LogCaptureFixture) -> None:
    store, clock = MemoryStore(), Clock()
    svc = services(store, clock, days=1, interval_s=0.01)

    async def failed() -> bool:
        return any(getattr(r, "action", None) == "retention_failed" for r in caplog.records)

    async def scenario() -> None:
        workflow_id = await completed(svc)
        clock.now += 2 * DAY
        await store.close()  # every transaction fails until the store is open again
        async with looping(svc):
            with caplog.at_level(logging.WARNING, logger="podium.retention"):
                await wait_until(failed, "a retention_failed record")
            await store.open()
            await wait_until(lambda: is_gone(svc, workflow_id), "the purge")

    run(store, scenario)


@pytest.mark.parametrize(
    "policy",
    [{"mode": "drop"}, {"days": -1}, {"batch": 0}, {"interval_s": 0}],
)
def test_a_policy_that_makes_no_sense_is_refused(policy: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="retention"):
        RetentionPolicy(**policy)


@pytest.mark.parametrize("mode", ["delete", "archive"])
def test_two_postgres_nodes_purge_concurrently_without_failing_or_double_counting(
    mode: str,
) -> None:
    clock = Clock()

    async def scenario(url: str) -> None:
        stores = [PostgresStore(url, max_size=3), PostgresStore(url, max_size=3)]
        for store in stores:
            await store.open()
        try:
            nodes = [
                services(s, clock, f"n{i}", days=1, mode=mode, batch=3)
                for i, s in enumerate(stores)
            ]
            ids = [await terminated(nodes[0]) for _ in range(20)]
            clock.now += 2 * DAY
            counts = await asyncio.gather(*(n.retention.purge_once() for n in nodes))
            assert sum(counts) == 20
            async with stores[0].transaction() as tx:
                for workflow_id in ids:
                    assert await tx.get_workflow(workflow_id) is None
                    archived = await tx.get_archived_workflow(workflow_id)
                    history = [e.event for e in await tx.workflow_history(workflow_id)]
                    if mode == "archive":
                        assert archived is not None
                        assert history.count("workflow_removed") == 1
                    else:
                        assert (archived, history) == (None, [])
        finally:
            for store in stores:
                await store.close()

    with postgres_database() as url:
        asyncio.run(scenario(url))
