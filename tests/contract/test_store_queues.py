"""The queue table (the transactional outbox) and the last polls of each queue."""

from __future__ import annotations

from podium.model.executions import PollData, QueueEntry
from podium.model.statuses import TaskStatus
from podium.store import Store

from .support import Run, task


def entry(task_id: str, visible_at: int, priority: int = 0, queue: str = "q") -> QueueEntry:
    """An entry of workflow wf-1."""
    return QueueEntry(queue, task_id, "wf-1", visible_at, priority)


def test_pop_takes_visible_entries_by_priority_then_age(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.push(
                [
                    entry("old", 10),
                    entry("new", 20),
                    entry("urgent", 30, priority=5),
                    entry("future", 1_000, priority=9),
                    entry("elsewhere", 1, queue="other"),
                ]
            )
        async with store.transaction() as tx:
            assert await tx.pop("q", 2, now=100) == ["urgent", "old"]
            assert await tx.pop("q", 5, now=100) == ["new"]  # taken ones are gone
            assert await tx.pop("q", 5, now=100) == []  # "future" is not visible yet
            assert await tx.pop("q", 5, now=1_000) == ["future"]
            assert await tx.pop("q", 0, now=1_000) == []
            assert await tx.pop("missing", 5, now=1_000) == []
            assert await tx.queued_task_ids("other") == ["elsewhere"]

    run(scenario)


def test_push_replaces_the_entry_of_the_same_task(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.push([entry("t", 10)])
            await tx.push([entry("t", 500, priority=1)])  # e.g. a callback postponed it
            assert await tx.queued_task_ids("q") == ["t"]
            assert await tx.pop("q", 5, now=100) == []
            assert await tx.next_visible_at("q") == 500
            await tx.push([entry("t", 50, queue="moved")])
            assert await tx.queued_task_ids("q") == []
            assert await tx.pop("moved", 5, now=100) == ["t"]

    run(scenario)


def test_unqueue_and_next_visible_at(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            assert await tx.next_visible_at("q") is None
            await tx.push([entry("a", 300), entry("b", 200, priority=3), entry("c", 400)])
            assert await tx.next_visible_at("q") == 200
            await tx.unqueue(["b", "missing"])
            assert await tx.next_visible_at("q") == 300
            assert sorted(await tx.queued_task_ids("q")) == ["a", "c"]
            await tx.unqueue(["a", "c"])
            assert await tx.next_visible_at("q") is None
            assert await tx.queued_task_ids("q") == []

    run(scenario)


def test_queue_sizes_count_visible_entries_only(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.push(
                [
                    entry("a", 10, queue="b-queue"),
                    entry("b", 20, queue="b-queue"),
                    entry("c", 999, queue="b-queue"),
                    entry("d", 10, queue="a-queue"),
                    entry("e", 999, queue="later"),
                ]
            )
            sizes = await tx.queue_sizes(now=20)
            assert list(sizes.items()) == [("a-queue", 1), ("b-queue", 2)]  # sorted by name
            assert await tx.queue_sizes(now=0) == {}

    run(scenario)


def test_queue_depths_count_every_entry_and_those_already_in_progress(run: Run) -> None:
    async def scenario(store: Store) -> None:
        running = task("running", seq=1, status=TaskStatus.IN_PROGRESS)
        async with store.transaction() as tx:
            await tx.insert_tasks([running, task("waiting", seq=2), task("x", seq=3)], [0] * 3)
            await tx.push(
                [
                    entry("running", 10, queue="z"),  # e.g. a callback re-queued it
                    entry("waiting", 9_999, queue="z"),
                    entry("x", 10, queue="a"),
                    entry("no-task-row", 10, queue="z"),  # counted with their task rows only
                    entry("no-task-row-either", 10, queue="orphans"),
                ]
            )
            depths = await tx.queue_depths()
            assert list(depths.items()) == [("a", (1, 0)), ("z", (2, 1))]

    run(scenario)


def test_poll_data_keeps_the_last_poll_per_queue_and_domain(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.record_poll(PollData("ship", None, "w1", 10))
            await tx.record_poll(PollData("ship", None, "w2", 20))  # replaces w1's
            await tx.record_poll(PollData("ship", "eu", "w3", 15))
            await tx.record_poll(PollData("charge", "", "w4", 5))  # "" is "no domain"
        async with store.transaction() as tx:
            assert await tx.poll_data("ship") == [
                PollData("ship", None, "w2", 20),
                PollData("ship", "eu", "w3", 15),
            ]
            assert await tx.poll_data(None) == [
                PollData("charge", None, "w4", 5),
                PollData("ship", None, "w2", 20),
                PollData("ship", "eu", "w3", 15),
            ]
            assert await tx.poll_data("never") == []

    run(scenario)


def test_pop_tasks_returns_the_tasks_in_queue_order_and_drops_orphans(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.insert_tasks([task("a", seq=1), task("b", seq=2)], [0, 0])
            await tx.push([entry("a", 20), entry("b", 10), entry("ghost", 5)])
        async with store.transaction() as tx:
            popped = await tx.pop_tasks("q", 5, now=100)
            assert [t.taskId for t in popped] == ["b", "a"]
            assert popped[0].status is TaskStatus.SCHEDULED
            assert await tx.queued_task_ids("q") == []  # the orphan entry is gone too
            assert await tx.pop_tasks("q", 0, now=100) == []

    run(scenario)
