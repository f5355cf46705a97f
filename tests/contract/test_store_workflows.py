"""Executions: their rows, the lookups a server makes, and what the sweeper finds due."""

from __future__ import annotations

import pytest

from podium.errors import Conflict
from podium.model.executions import QueueEntry
from podium.model.statuses import WorkflowStatus
from podium.store import Store

from .support import Run, event, task, workflow

PAUSED, COMPLETED = WorkflowStatus.PAUSED, WorkflowStatus.COMPLETED


def test_insert_get_update_round_trip(run: Run) -> None:
    async def scenario(store: Store) -> None:
        wf = workflow("wf-1", correlation_id="c-1")
        async with store.transaction() as tx:
            await tx.insert_workflow(wf)
            assert await tx.get_workflow("wf-1") == wf  # reads see the transaction's writes
        async with store.transaction() as tx:
            got = await tx.get_workflow("wf-1")
            assert got == wf
            assert got is not None
            got.status = COMPLETED
            got.output = {"done": True}
            got.variables["seen"] = 1
            await tx.update_workflow(got)
        async with store.transaction() as tx:
            stored = await tx.get_workflow("wf-1")
            assert stored is not None
            assert stored.status is COMPLETED
            assert (stored.output, stored.variables) == ({"done": True}, {"seen": 1})
            assert await tx.get_workflow("missing") is None

    run(scenario)


def test_objects_have_value_semantics(run: Run) -> None:
    async def scenario(store: Store) -> None:
        wf = workflow("wf-1")
        async with store.transaction() as tx:
            await tx.insert_workflow(wf)
            wf.input["order"]["id"] = "changed after insert"
            got = await tx.get_workflow("wf-1")
            assert got is not None
            got.input["order"]["lines"].append(3)
            got.status = COMPLETED  # changed, never written back
        async with store.transaction() as tx:
            stored = await tx.get_workflow("wf-1")
            assert stored is not None
            assert stored.input == {"order": {"id": "wf-1", "lines": [1, 2]}}
            assert stored.status is WorkflowStatus.RUNNING

    run(scenario)


def test_updating_an_unknown_execution_stores_nothing(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.update_workflow(workflow("ghost"))
            assert await tx.get_workflow("ghost") is None

    run(scenario)


def test_inserting_an_existing_execution_is_a_conflict(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.insert_workflow(workflow("wf-1"))
            with pytest.raises(Conflict):
                await tx.insert_workflow(workflow("wf-1"))
        # A duplicate task id fails its whole unit (PostgreSQL reports it at commit at the
        # latest) and leaves nothing behind.
        with pytest.raises(Conflict):
            async with store.transaction() as tx:
                await tx.insert_tasks([task("t2"), task("t1"), task("t1")], [0, 0, 0])
        async with store.transaction() as tx:
            assert await tx.get_tasks(["t1", "t2"]) == []
            assert await tx.get_workflow("wf-1") is not None

    run(scenario)


def test_delete_removes_tasks_queue_entries_and_logs_but_keeps_history(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            for wf_id in ("wf-1", "wf-2"):
                await tx.insert_workflow(workflow(wf_id))
                await tx.insert_tasks([task(f"{wf_id}-t", wf_id)], [0])
                await tx.push([QueueEntry("charge_card", f"{wf_id}-t", wf_id, 0)])
                await tx.add_task_logs(f"{wf_id}-t", [("line", 5)])
                await tx.append_history([event(wf_id, "WORKFLOW_STARTED", 1)])
        async with store.transaction() as tx:
            await tx.delete_workflow("wf-1")
            await tx.delete_workflow("never-existed")
        async with store.transaction() as tx:
            assert await tx.get_workflow("wf-1") is None
            assert await tx.get_task("wf-1-t") is None
            assert await tx.workflow_tasks("wf-1") == []
            assert await tx.queued_task_ids("charge_card") == ["wf-2-t"]
            assert await tx.task_logs("wf-1-t") == []
            assert [e.event for e in await tx.workflow_history("wf-1")] == ["WORKFLOW_STARTED"]
            assert await tx.get_workflow("wf-2") is not None  # the other execution is intact
            assert await tx.task_logs("wf-2-t") == [("line", 5)]

    run(scenario)


def test_idempotency_key_finds_the_newest_execution_of_that_name(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.insert_workflow(workflow("old", idempotency_key="k", created=1))
            await tx.insert_workflow(workflow("new", idempotency_key="k", created=5))
            await tx.insert_workflow(workflow("mid", idempotency_key="k", created=3))
            await tx.insert_workflow(workflow("other", "refund", idempotency_key="k", created=9))
        async with store.transaction() as tx:
            found = await tx.find_workflow_by_idempotency_key("checkout", "k")
            assert found is not None
            assert found.workflowId == "new"
            assert await tx.find_workflow_by_idempotency_key("checkout", "nope") is None
            assert await tx.find_workflow_by_idempotency_key("nope", "k") is None

    run(scenario)


def test_correlation_lookup_shows_only_running_unless_closed_too(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.insert_workflow(workflow("b", correlation_id="c", created=2))
            await tx.insert_workflow(workflow("a", correlation_id="c", created=3))
            await tx.insert_workflow(workflow("done", correlation_id="c", created=1))
            await tx.insert_workflow(workflow("paused", correlation_id="c", created=4))
            await tx.insert_workflow(workflow("x", "refund", correlation_id="c"))
            await tx.insert_workflow(workflow("y", correlation_id="other"))
            for wf_id, status in (("done", COMPLETED), ("paused", PAUSED)):
                closed = workflow(wf_id, correlation_id="c", created=1 if wf_id == "done" else 4)
                closed.status = status
                await tx.update_workflow(closed)
        async with store.transaction() as tx:
            running = await tx.workflows_by_correlation_id("checkout", "c", include_closed=False)
            assert [w.workflowId for w in running] == ["b", "a"]  # by create time
            every = await tx.workflows_by_correlation_id("checkout", "c", include_closed=True)
            assert [w.workflowId for w in every] == ["done", "b", "a", "paused"]
            assert await tx.workflows_by_correlation_id("checkout", "z", include_closed=True) == []

    run(scenario)


def test_running_ids_by_version_or_by_start_time(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.insert_workflow(workflow("v1-late", created=30))
            await tx.insert_workflow(workflow("v1-early", created=10))
            await tx.insert_workflow(workflow("v2", version=2, created=20))
            await tx.insert_workflow(workflow("v1-done", status=COMPLETED, created=15))
            await tx.insert_workflow(workflow("other", "refund", created=12))
        async with store.transaction() as tx:
            assert await tx.running_workflow_ids("checkout", 1, 0, 0) == ["v1-early", "v1-late"]
            assert await tx.running_workflow_ids("checkout", None, 0, 0) == [
                "v1-early",
                "v1-late",
            ]
            assert await tx.running_workflow_ids("checkout", 2, 0, 0) == ["v2"]
            # With a time window: every execution of the name started in it, inclusive.
            window = await tx.running_workflow_ids("checkout", 1, 10, 20)
            assert window == ["v1-early", "v1-done", "v2"]
            assert await tx.running_workflow_ids("checkout", 1, 31, 99) == []

    run(scenario)


def test_due_workflows_by_timeout_or_task_check(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.insert_workflow(workflow("timeout-due", timeout_at=100))
            await tx.insert_workflow(workflow("paused-due", status=PAUSED, timeout_at=50))
            await tx.insert_workflow(workflow("timeout-later", timeout_at=101))
            await tx.insert_workflow(workflow("done", status=COMPLETED, timeout_at=10))
            await tx.insert_workflow(workflow("no-timeout"))
            await tx.insert_workflow(workflow("task-due"))
            await tx.insert_tasks(
                [
                    task("t1", "task-due", seq=1),
                    task("t2", "task-due", "b", seq=2),
                    task("t3", "no-timeout", seq=1),
                    task("t4", "timeout-later", seq=1),
                ],
                [100, 20, 0, 101],
            )
        async with store.transaction() as tx:
            due = await tx.due_workflows(100, 10)
            assert sorted(due) == ["paused-due", "task-due", "timeout-due"]  # each once
            assert len(await tx.due_workflows(100, 2)) == 2
            assert await tx.due_workflows(9, 10) == []
            # Clearing a check (0: nothing to check) takes the execution off the list.
            t1, t2 = await tx.get_tasks(["t1", "t2"])
            await tx.update_tasks([t1, t2], [0, 0])
            assert sorted(await tx.due_workflows(100, 10)) == ["paused-due", "timeout-due"]

    run(scenario)
