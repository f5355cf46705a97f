"""What only PostgreSQL has: several transactions at once (nodes) on the same rows."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator

import psycopg
import pytest

from podium.model.definitions import WorkflowDef
from podium.model.executions import QueueEntry
from podium.model.requests import StartWorkflowRequest
from podium.model.statuses import TaskStatus
from podium.services import Services, build_services
from podium.services.context import ServiceContext
from podium.store.postgres import PostgresStore
from tests.support.postgres import postgres_database

from .support import task, workflow


@pytest.fixture
def pg_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


def run_on(url: str, scenario: Callable[[PostgresStore], Awaitable[None]]) -> None:
    """Run a scenario on an open store holding execution wf-1, then close the store."""

    async def main() -> None:
        store = PostgresStore(url, max_size=4)
        await store.open()
        try:
            async with store.transaction() as tx:
                await tx.insert_workflow(workflow("wf-1"))
            await scenario(store)
        finally:
            await store.close()

    asyncio.run(main())


def test_a_claim_skips_a_task_another_transaction_is_deciding(pg_url: str) -> None:
    """A poll never waits for, nor overwrites, a task row a decision on another node holds;
    the entry stays queued and is claimed once the decision commits."""

    async def scenario(store: PostgresStore) -> None:
        async with store.transaction() as tx:
            await tx.insert_tasks([task("held", seq=1), task("free", seq=2)], [0, 0])
            await tx.push(
                [QueueEntry("q", "held", "wf-1", 10, 0), QueueEntry("q", "free", "wf-1", 20, 0)]
            )
        decided, release = asyncio.Event(), asyncio.Event()

        async def decision() -> None:
            async with store.transaction() as tx:
                assert await tx.get_workflow("wf-1") is not None
                [held] = await tx.get_tasks(["held"])
                held.pollCount = 7
                await tx.update_tasks([held], [0])  # the row is now locked by this Tx
                decided.set()
                await release.wait()

        deciding = asyncio.create_task(decision())
        await asyncio.wait_for(decided.wait(), 10)
        async with store.transaction() as tx:
            popped = await asyncio.wait_for(tx.pop_tasks("q", 5, now=100), 5)
            assert [t.taskId for t in popped] == ["free"]
            assert await tx.queued_task_ids("q") == ["held"]
        release.set()
        await deciding
        async with store.transaction() as tx:
            [held] = await tx.pop_tasks("q", 5, now=100)
            assert held.taskId == "held"
            assert held.pollCount == 7
            assert held.status is TaskStatus.SCHEDULED

    run_on(pg_url, scenario)


def test_reading_a_workflow_without_lock_does_not_wait_for_a_decision(pg_url: str) -> None:
    async def scenario(store: PostgresStore) -> None:
        locked, release = asyncio.Event(), asyncio.Event()

        async def decision() -> None:
            async with store.transaction() as tx:
                await tx.get_workflow("wf-1")
                locked.set()
                await release.wait()

        deciding = asyncio.create_task(decision())
        await asyncio.wait_for(locked.wait(), 10)
        async with store.transaction() as tx:
            found = await asyncio.wait_for(tx.get_workflow("wf-1", lock=False), 5)
            assert found is not None
            assert found.workflowId == "wf-1"
        release.set()
        await deciding

    run_on(pg_url, scenario)


def test_two_nodes_starting_one_idempotency_key_at_once_start_one_execution(pg_url: str) -> None:
    async def node() -> tuple[PostgresStore, Services]:
        store = PostgresStore(pg_url, max_size=4)
        await store.open()
        return store, build_services(ServiceContext(store=store))

    async def scenario() -> None:
        (first_store, first), (second_store, second) = await node(), await node()
        try:
            definition = WorkflowDef.model_validate(
                {
                    "name": "pay",
                    "version": 1,
                    "tasks": [{"name": "charge", "taskReferenceName": "c"}],
                }
            )
            await first.metadata.register_workflow(definition, overwrite=True)
            request = StartWorkflowRequest.model_validate(
                {
                    "name": "pay",
                    "idempotencyKey": "order-1",
                    "idempotencyStrategy": "RETURN_EXISTING",
                }
            )
            ids = await asyncio.gather(
                *(svc.workflows.start(request) for svc in (first, second, first, second))
            )
            assert len(set(ids)) == 1
        finally:
            await first_store.close()
            await second_store.close()

    asyncio.run(scenario())


async def wait_for_a_lock_wait(url: str) -> None:
    """Return once a backend of the database waits for a lock (fail after 10 s)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        async with asyncio.timeout(10):
            while True:
                cur = await conn.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                row = await cur.fetchone()
                if row is not None and row[0] > 0:
                    return
                await asyncio.sleep(0.01)


@pytest.mark.parametrize("first_commits", [True, False])
def test_two_nodes_asking_for_a_new_server_secret_at_once_get_one_value(
    pg_url: str, first_commits: bool
) -> None:
    """The second node's first call waits for the first node's unit: it gets that node's
    candidate when it commits, and stores its own when it rolls back."""

    async def scenario(store: PostgresStore) -> None:
        stored, release = asyncio.Event(), asyncio.Event()

        async def first() -> None:
            async with store.transaction() as tx:
                assert await tx.server_secret("signing", b"one") == b"one"
                stored.set()
                await release.wait()
                if not first_commits:
                    raise RuntimeError("rolled back")

        async def second() -> bytes:
            async with store.transaction() as tx:
                return await tx.server_secret("signing", b"two")

        one = asyncio.create_task(first())
        await asyncio.wait_for(stored.wait(), 10)
        two = asyncio.create_task(second())
        await wait_for_a_lock_wait(pg_url)
        release.set()
        outcome = await asyncio.gather(one, return_exceptions=True)
        assert isinstance(outcome[0], RuntimeError) is not first_commits
        want = b"one" if first_commits else b"two"
        assert await asyncio.wait_for(two, 10) == want
        async with store.transaction() as tx:
            assert await tx.server_secret("signing", b"three") == want

    run_on(pg_url, scenario)
