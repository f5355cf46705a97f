"""Units of work: all or nothing, one at a time, and only on an open store."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from podium.errors import StoreUnavailable
from podium.model.executions import PollData, QueueEntry
from podium.model.statuses import WorkflowStatus
from podium.store import Store, Tx

from .support import Run, event, task, workflow


class Boom(Exception):
    """Raised inside a unit of work to make it roll back."""


async def seed(tx: Tx) -> None:
    """One execution with a task, a queue entry, a log, a poll and history; definitions."""
    await tx.put_workflow_def({"name": "checkout", "version": 1})
    await tx.put_task_def({"name": "charge_card"})
    await tx.put_snapshot("d1", b"{}")
    await tx.insert_workflow(workflow("wf-1"))
    await tx.insert_tasks([task("t1")], [500])
    await tx.push([QueueEntry("charge_card", "t1", "wf-1", 0)])
    await tx.add_task_logs("t1", [("seeded", 1)])
    await tx.record_poll(PollData("charge_card", None, "w1", 1))
    await tx.append_history([event("wf-1", "WORKFLOW_STARTED", 1)])


async def observe(tx: Tx) -> dict[str, Any]:
    """Everything the contract lets a caller see of the seeded state (and of wf-2, t2)."""
    return {
        "workflow_defs": await tx.list_workflow_defs(),
        "task_defs": await tx.list_task_defs(),
        "snapshots": [await tx.get_snapshot(d) for d in ("d1", "d2")],
        "workflows": [await tx.get_workflow(w) for w in ("wf-1", "wf-2")],
        "tasks": await tx.get_tasks(["t1", "t2"]),
        "queue": await tx.queued_task_ids("charge_card"),
        "sizes": await tx.queue_sizes(10**15),
        "due": await tx.due_workflows(10**15, 10),
        "logs": [await tx.task_logs(t) for t in ("t1", "t2")],
        "polls": await tx.poll_data(None),
        "history": [await tx.workflow_history(w) for w in ("wf-1", "wf-2")],
    }


async def change_everything(tx: Tx) -> None:
    await tx.put_workflow_def({"name": "checkout", "version": 2})
    await tx.delete_task_def("charge_card")
    await tx.put_snapshot("d2", b"[]")
    wf = await tx.get_workflow("wf-1")
    assert wf is not None
    wf.status = WorkflowStatus.TERMINATED
    await tx.update_workflow(wf)
    await tx.insert_workflow(workflow("wf-2", timeout_at=5))
    await tx.insert_tasks([task("t2", "wf-2")], [7])
    await tx.pop("charge_card", 10, 10**15)
    await tx.push([QueueEntry("other", "t2", "wf-2", 0)])
    await tx.add_task_logs("t1", [("more", 2)])
    await tx.record_poll(PollData("charge_card", None, "w2", 2))
    await tx.append_history([event("wf-1", "WORKFLOW_TERMINATED", 2)])
    await tx.delete_workflow("wf-1")


def test_an_exception_rolls_back_every_write_of_the_unit(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await seed(tx)
            before = await observe(tx)

        async def failing_unit() -> None:
            async with store.transaction() as tx:
                await change_everything(tx)
                assert await observe(tx) != before  # the unit sees its own writes
                raise Boom

        with pytest.raises(Boom):
            await failing_unit()
        async with store.transaction() as tx:
            assert await observe(tx) == before
            await tx.append_history([event("wf-1", "AFTER_ROLLBACK", 3)])
            seqs = [e.seq for e in await tx.workflow_history("wf-1")]
            assert seqs == sorted(set(seqs))  # numbering goes on after a rollback

    run(scenario)


def test_a_unit_that_exits_normally_commits(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await seed(tx)
            await change_everything(tx)
            changed = await observe(tx)
        async with store.transaction() as tx:
            assert await observe(tx) == changed

    run(scenario)


def test_units_on_one_execution_run_one_at_a_time(run: Run) -> None:
    """Every store: a unit that reads an execution with its lock waits for the unit holding
    it, and sees that unit's change (SQLite and memory run every unit one at a time;
    PostgreSQL runs units side by side and serialises the ones on the same execution)."""

    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.insert_workflow(workflow("wf-1"))
        order: list[str] = []
        inside, release = asyncio.Event(), asyncio.Event()

        async def first() -> None:
            async with store.transaction() as tx:
                wf = await tx.get_workflow("wf-1", lock=True)
                assert wf is not None
                order.append("first in")
                inside.set()
                await release.wait()  # hold the unit open while the second one tries
                wf.status = WorkflowStatus.PAUSED
                await tx.update_workflow(wf)
                order.append("first out")

        async def second() -> None:
            await inside.wait()
            async with store.transaction() as tx:
                wf = await tx.get_workflow("wf-1", lock=True)  # waits for the first's commit
                order.append("second in")
                assert wf is not None
                assert wf.status is WorkflowStatus.PAUSED  # and sees it
                order.append("second out")

        async def referee() -> None:
            await inside.wait()
            await asyncio.sleep(0.05)  # let the second unit reach the lock first (if it can)
            release.set()

        await asyncio.gather(first(), second(), referee())
        assert order == ["first in", "first out", "second in", "second out"]

    run(scenario)


def test_a_failing_unit_does_not_undo_its_neighbours(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async def write(workflow_id: str, fail: bool) -> None:
            async with store.transaction() as tx:
                await tx.insert_workflow(workflow(workflow_id))
                if fail:
                    raise Boom

        results = await asyncio.gather(
            write("wf-1", False), write("wf-2", True), write("wf-3", False), return_exceptions=True
        )
        assert [type(r) for r in results] == [type(None), Boom, type(None)]
        async with store.transaction() as tx:
            found = [await tx.get_workflow(w) is not None for w in ("wf-1", "wf-2", "wf-3")]
            assert found == [True, False, True]

    run(scenario)


def test_a_store_that_is_not_open_is_unavailable(store: Store) -> None:
    async def scenario() -> None:
        with pytest.raises(StoreUnavailable):
            async with store.transaction():
                pass  # pragma: no cover - never entered
        await store.open()
        async with store.transaction() as tx:
            await tx.insert_workflow(workflow("wf-1"))
        await store.close()
        with pytest.raises(StoreUnavailable):
            async with store.transaction():
                pass  # pragma: no cover - never entered

    asyncio.run(scenario())
