"""Task attempts: rows, the decider's lookups and the counts rate limits rely on."""

from __future__ import annotations

from podium.model.executions import QueueEntry, Task
from podium.model.statuses import TaskStatus
from podium.store import Store

from .support import Run, task, workflow

IN_PROGRESS, COMPLETED = TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED


def test_insert_get_update_round_trip(run: Run) -> None:
    async def scenario(store: Store) -> None:
        first = task("t1", seq=1)
        async with store.transaction() as tx:
            await tx.insert_workflow(workflow("wf-1"))
            await tx.insert_tasks([first], [0])
            assert await tx.get_task("t1") == first
        async with store.transaction() as tx:
            got = await tx.get_task("t1")
            assert got is not None
            got.status = COMPLETED
            got.outputData = {"receipt": "r-1"}
            await tx.update_tasks([got], [0])
            await tx.update_tasks([task("ghost")], [0])  # unknown attempt: nothing stored
        async with store.transaction() as tx:
            stored = await tx.get_task("t1")
            assert stored is not None
            assert (stored.status, stored.outputData) == (COMPLETED, {"receipt": "r-1"})
            assert await tx.get_task("ghost") is None
            assert await tx.get_task("missing") is None

    run(scenario)


def test_returned_tasks_are_copies(run: Run) -> None:
    async def scenario(store: Store) -> None:
        original = task("t1")
        async with store.transaction() as tx:
            await tx.insert_tasks([original], [0])
            original.inputData["amount"] = 99
            got = await tx.get_task("t1")
            assert got is not None
            got.inputData["amount"] = 42
            got.status = COMPLETED
        async with store.transaction() as tx:
            stored = await tx.get_task("t1")
            assert stored is not None
            assert (stored.inputData, stored.status) == ({"amount": 10}, TaskStatus.SCHEDULED)

    run(scenario)


def test_get_tasks_keeps_the_order_asked_and_leaves_out_missing_ones(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.insert_tasks([task("a", seq=1), task("b", seq=2), task("c", seq=3)], [0] * 3)
            found = await tx.get_tasks(["c", "missing", "a"])
            assert [t.taskId for t in found] == ["c", "a"]
            assert await tx.get_tasks([]) == []

    run(scenario)


def test_workflow_tasks_and_pending_tasks_by_seq(run: Run) -> None:
    async def scenario(store: Store) -> None:
        executed, retried = task("exec", seq=1), task("retried", "wf-1", "b", seq=2)
        executed.executed = True
        retried.retried = True
        tasks = [task("third", "wf-1", "c", seq=3), executed, retried, task("fourth", seq=4)]
        async with store.transaction() as tx:
            await tx.insert_tasks([*tasks, task("elsewhere", "wf-2")], [0] * 5)
        async with store.transaction() as tx:
            every = [t.taskId for t in await tx.workflow_tasks("wf-1")]
            assert every == ["exec", "retried", "third", "fourth"]
            assert [t.taskId for t in await tx.pending_tasks("wf-1")] == ["third", "fourth"]
            third = await tx.get_task("third")
            assert third is not None
            third.executed = True  # the decider moved past it
            await tx.update_tasks([third], [0])
            assert [t.taskId for t in await tx.pending_tasks("wf-1")] == ["fourth"]
            assert await tx.workflow_tasks("nope") == []

    run(scenario)


def test_latest_tasks_by_reference_name_without_loop_suffix(run: Run) -> None:
    async def scenario(store: Store) -> None:
        attempts = [
            task("x1", ref="x", seq=1),
            task("x1-retry", ref="x", seq=2),
            task("x__2", ref="x__2", iteration=2, seq=4),  # loop iteration 2 of "x"
            task("y", ref="y", seq=3),
            task("z__1", ref="z__1", seq=5),  # not a loop task: the suffix is its name
            task("x-other-wf", "wf-2", ref="x", seq=9),
        ]
        async with store.transaction() as tx:
            await tx.insert_tasks(attempts, [0] * len(attempts))
        async with store.transaction() as tx:
            latest = await tx.latest_tasks("wf-1", ["x", "y", "z", "z__1", "none"])
            assert {ref: t.taskId for ref, t in latest.items()} == {
                "x": "x__2",
                "y": "y",
                "z__1": "z__1",
            }
            assert await tx.latest_tasks("wf-1", []) == {}

    run(scenario)


def test_delete_tasks_removes_their_queue_entries_and_logs(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.insert_tasks([task("a", seq=1), task("b", seq=2)], [0, 0])
            await tx.push([QueueEntry("q", "a", "wf-1", 0), QueueEntry("q", "b", "wf-1", 0)])
            await tx.add_task_logs("a", [("hello", 1)])
        async with store.transaction() as tx:
            await tx.delete_tasks(["a", "missing"])
        async with store.transaction() as tx:
            assert await tx.get_task("a") is None
            assert await tx.queued_task_ids("q") == ["b"]
            assert await tx.task_logs("a") == []
            assert [t.taskId for t in await tx.workflow_tasks("wf-1")] == ["b"]

    run(scenario)


def test_tasks_in_progress_are_the_live_attempts_of_a_type_oldest_first(run: Run) -> None:
    async def scenario(store: Store) -> None:
        moved_past = task("moved-past", seq=7, scheduled=2, status=IN_PROGRESS)
        moved_past.executed = True  # the decider is done with it: no longer live
        attempts = [
            task("late", seq=1, scheduled=30),
            task("early", seq=2, scheduled=10, status=IN_PROGRESS),
            task("mid", seq=3, scheduled=20),
            task("finished", seq=4, scheduled=5, status=COMPLETED),
            task("canceled", seq=5, scheduled=6, status=TaskStatus.CANCELED),
            task("other-type", seq=6, scheduled=1, task_type="ship"),
            moved_past,
        ]
        async with store.transaction() as tx:
            await tx.insert_tasks(attempts, [0] * len(attempts))
        async with store.transaction() as tx:
            ids = [t.taskId for t in await tx.tasks_in_progress("charge_card", 0, 10)]
            assert ids == ["early", "mid", "late"]
            page = await tx.tasks_in_progress("charge_card", 1, 1)
            assert [t.taskId for t in page] == ["mid"]
            assert await tx.tasks_in_progress("charge_card", 5, 10) == []

    run(scenario)


def rate_limited(task_id: str, seq: int, started: int, task_type: str = "charge_card") -> Task:
    """An attempt in progress whose definition allows 10 starts per second."""
    attempt = task(task_id, seq=seq, status=IN_PROGRESS, started=started, task_type=task_type)
    attempt.rateLimitPerFrequency = 10
    return attempt


def test_counts_of_attempts_in_progress_and_started(run: Run) -> None:
    async def scenario(store: Store) -> None:
        moved_past = rate_limited("moved-past", 6, started=500)
        moved_past.retried = True
        attempts = [
            rate_limited("a", 1, started=100),
            rate_limited("b", 2, started=200),
            task("c", seq=3, status=COMPLETED, started=300),
            task("d", seq=4),  # scheduled, never started
            rate_limited("e", 5, started=400, task_type="ship"),
            moved_past,
            task("no-limit", seq=7, status=IN_PROGRESS, started=600),
        ]
        completed = rate_limited("completed", 8, started=250)
        completed.status = COMPLETED
        async with store.transaction() as tx:
            await tx.insert_tasks([*attempts, completed], [0] * (len(attempts) + 1))
        async with store.transaction() as tx:
            # In progress: live attempts only (not one the decider retried).
            assert await tx.count_in_progress("charge_card") == 3
            assert await tx.count_in_progress("ship") == 1
            assert await tx.count_in_progress("nothing") == 0
            # Started since: only attempts that carry a rate limit are counted, ended or not.
            assert await tx.count_started_since("charge_card", 200) == 3
            assert await tx.count_started_since("charge_card", 501) == 0
            assert await tx.count_started_since("ship", 400) == 1

    run(scenario)


def test_delete_iterations_removes_only_old_iterations_of_the_given_refs(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.insert_workflow(workflow("wf-1"))
            tasks = [task(f"a{i}", ref=f"body__{i}", seq=i, iteration=i) for i in range(1, 5)] + [
                task("other", ref="other__1", seq=9, iteration=1),
                task("top", ref="top", seq=10),
            ]
            await tx.insert_tasks(tasks, [0] * len(tasks))
            await tx.delete_iterations("wf-1", ["body"], 2)
            left = [t.taskId for t in await tx.workflow_tasks("wf-1")]
        assert left == ["a3", "a4", "other", "top"]

    run(scenario)
