"""Retention: finding expired executions and purging them, the one deletion history allows."""

from __future__ import annotations

import asyncio

from podium.model.executions import QueueEntry, Workflow
from podium.model.statuses import WorkflowStatus
from podium.store import Store, Tx
from podium.store.postgres import PostgresStore
from tests.support.postgres import postgres_database

from .support import Run, event, task, workflow

CUTOFF = 500


def ended(
    workflow_id: str,
    status: WorkflowStatus = WorkflowStatus.COMPLETED,
    *,
    end: int = 100,
    updated: int | None = None,
    parent: str | None = None,
) -> Workflow:
    """An execution in `status` that ended at `end` (0 for one that is still live)."""
    wf = workflow(workflow_id, status=status, created=10)
    wf.endTime = end
    wf.updateTime = end if updated is None else updated
    wf.parentWorkflowId = parent
    return wf


async def insert(tx: Tx, *workflows: Workflow) -> None:
    for wf in workflows:
        await tx.insert_workflow(wf)


async def with_everything(tx: Tx, workflow_id: str) -> None:
    """An ended execution with a task, a queue entry, task logs, history and nothing else."""
    await tx.insert_workflow(ended(workflow_id))
    task_id = f"{workflow_id}-t"
    await tx.insert_tasks([task(task_id, workflow_id)], [0])
    await tx.push([QueueEntry("charge_card", task_id, workflow_id, visible_at=0)])
    await tx.add_task_logs(task_id, [("charged", 5)])
    await tx.append_history([event(workflow_id, "workflow_started", 1, task_id)])


async def everything(tx: Tx, workflow_id: str) -> tuple[object, ...]:
    """What the store keeps of an execution (falsy values everywhere once it is purged)."""
    task_id = f"{workflow_id}-t"
    return (
        await tx.get_workflow(workflow_id),
        await tx.workflow_tasks(workflow_id),
        await tx.get_task(task_id),
        task_id in await tx.queued_task_ids("charge_card"),
        await tx.task_logs(task_id),
        await tx.workflow_history(workflow_id),
        await tx.get_archived_workflow(workflow_id),
    )


def test_ended_executions_past_the_cutoff_are_found_earliest_end_first(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await insert(
                tx,
                ended("failed", WorkflowStatus.FAILED, end=200),
                ended("completed", end=100),
                ended("timed-out", WorkflowStatus.TIMED_OUT, end=300),
                ended("terminated", WorkflowStatus.TERMINATED, end=150),
                ended("running", WorkflowStatus.RUNNING, end=0, updated=50),
                ended("paused", WorkflowStatus.PAUSED, end=0, updated=50),
                ended("recent", end=900),
                ended("at-the-cutoff", end=CUTOFF),
                ended("touched-since", end=100, updated=600),
            )
        async with store.transaction() as tx:
            found = await tx.ended_workflow_ids(CUTOFF, 10)
            assert found == ["completed", "terminated", "failed", "timed-out"]
            assert await tx.ended_workflow_ids(CUTOFF, 2) == ["completed", "terminated"]
            assert await tx.ended_workflow_ids(100, 10) == []

    run(scenario)


def test_a_sub_workflow_is_a_candidate_only_once_its_parent_is_gone(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await insert(
                tx,
                ended("running-parent", WorkflowStatus.RUNNING, end=0, updated=50),
                ended("child-of-running", end=100, parent="running-parent"),
                ended("ended-parent", end=200),
                ended("child-of-ended", end=100, parent="ended-parent"),
                ended("orphan", end=300, parent="removed-parent"),
            )
        async with store.transaction() as tx:
            assert await tx.ended_workflow_ids(CUTOFF, 10) == ["ended-parent", "orphan"]
            await tx.purge_workflows(["ended-parent"])
            assert await tx.ended_workflow_ids(CUTOFF, 10) == ["child-of-ended", "orphan"]

    run(scenario)


def test_purge_deletes_an_execution_and_everything_of_it_and_nothing_else(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await with_everything(tx, "doomed")
            await with_everything(tx, "kept")
            await tx.archive_workflow("doomed", b'{"workflowId":"doomed"}', 50)
        async with store.transaction() as tx:
            kept = await everything(tx, "kept")
            await tx.purge_workflows(["doomed", "never-existed"])
            await tx.purge_workflows([])
        async with store.transaction() as tx:
            assert not any(await everything(tx, "doomed"))
            assert await everything(tx, "kept") == kept
            assert all(kept[:-1]), "the other execution keeps all it had"
            assert await tx.ended_workflow_ids(CUTOFF, 10) == ["kept"]

    run(scenario)


def test_archived_executions_are_found_oldest_first_and_purged_with_their_history(
    run: Run,
) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            for workflow_id, at in (("b", 300), ("a", 100), ("c", CUTOFF), ("d", 200)):
                await tx.archive_workflow(workflow_id, b"{}", at)
                await tx.append_history([event(workflow_id, "workflow_removed", at)])
        async with store.transaction() as tx:
            assert await tx.archived_workflow_ids(CUTOFF, 10) == ["a", "d", "b"]
            assert await tx.archived_workflow_ids(CUTOFF, 1) == ["a"]
            await tx.purge_workflows(["a", "d"])
        async with store.transaction() as tx:
            assert await tx.archived_workflow_ids(CUTOFF, 10) == ["b"]
            assert await tx.get_archived_workflow("a") is None
            assert await tx.workflow_history("a") == []
            assert await tx.get_archived_workflow("b") == b"{}"
            assert [e.event for e in await tx.workflow_history("b")] == ["workflow_removed"]

    run(scenario)


def test_a_purge_that_fails_later_in_its_transaction_keeps_everything(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await with_everything(tx, "wf-1")
        try:
            async with store.transaction() as tx:
                await tx.purge_workflows(["wf-1"])
                raise RuntimeError("crash after the purge, before the commit")
        except RuntimeError:
            pass
        async with store.transaction() as tx:
            assert all(found for found in (await everything(tx, "wf-1"))[:-1])

    run(scenario)


def test_two_postgres_nodes_claim_disjoint_candidates_and_skip_held_rows() -> None:
    async def scenario(url: str) -> None:
        first, second = PostgresStore(url, max_size=2), PostgresStore(url, max_size=2)
        await first.open()
        await second.open()
        try:
            async with first.transaction() as tx:
                await insert(tx, *(ended(f"wf-{i}", end=100 + i) for i in range(5)))
                await tx.archive_workflow("archived", b"{}", 100)
            claimed = asyncio.Event()
            done = asyncio.Event()

            async def node_one() -> list[str]:
                async with first.transaction() as tx:
                    ids = await tx.ended_workflow_ids(CUTOFF, 3)
                    ids += await tx.archived_workflow_ids(CUTOFF, 3)
                    claimed.set()
                    await done.wait()  # hold the claim while the other node looks
                    await tx.purge_workflows(ids)
                return ids

            async def node_two() -> list[str]:
                await claimed.wait()
                async with second.transaction() as tx:
                    ids = await tx.ended_workflow_ids(CUTOFF, 10)
                    ids += await tx.archived_workflow_ids(CUTOFF, 10)
                    await tx.purge_workflows(ids)
                done.set()
                return ids

            one, two = await asyncio.gather(node_one(), node_two())
            assert one == ["wf-0", "wf-1", "wf-2", "archived"]
            assert two == ["wf-3", "wf-4"], "held rows are skipped, not waited for"
            async with second.transaction() as tx:
                assert await tx.ended_workflow_ids(CUTOFF, 10) == []
                assert await tx.archived_workflow_ids(CUTOFF, 10) == []
        finally:
            await first.close()
            await second.close()

    with postgres_database() as url:
        asyncio.run(scenario(url))
