"""Workflow and task search: structured query, free text, sort, paging and totals."""

from __future__ import annotations

import pytest

from podium.errors import BadRequest
from podium.model.statuses import TaskStatus, WorkflowStatus
from podium.store import MAX_TOTAL_HITS, SearchRequest, Store, Tx

from .support import Run, task, workflow

COMPLETED = WorkflowStatus.COMPLETED


async def populate(tx: Tx) -> None:
    """Five executions (two names) and their tasks, created at times 10..50."""
    rows = [
        workflow("wf-a", created=30, correlation_id="order-1"),
        workflow("wf-b", created=10, status=COMPLETED),
        workflow("wf-c", "refund", created=20, correlation_id="order-2"),
        workflow("wf-d", created=50, version=2),
        workflow("wf-e", "Checkout_EU", created=40, idempotency_key="k"),
    ]
    rows[0].input = {"customer": "Alice Martin"}
    rows[3].input = {"customer": "alice cooper", "author": "Émile Zola"}
    for row in rows:
        await tx.insert_workflow(row)
    ship = task("t-ship", "wf-a", "ship", seq=2, task_type="ship", scheduled=300)
    ship.inputData = {"carrier": "DHL Express"}
    ship.workerId = "worker-7"
    attempts = [
        task("t-charge-a", "wf-a", seq=1, scheduled=100, status=TaskStatus.COMPLETED),
        ship,
        task("t-charge-c", "wf-c", seq=1, scheduled=200),
        task("t-charge-d", "wf-d", seq=1, scheduled=400, status=TaskStatus.IN_PROGRESS),
        task("t-orphan", "no-such-workflow", seq=1, scheduled=500),
    ]
    await tx.insert_tasks(attempts, [0] * len(attempts))


def search(
    query: str | None, free_text: str | None, sort: str | None, start: int, size: int
) -> SearchRequest:
    return SearchRequest(query=query, free_text=free_text, sort=sort, start=start, size=size)


async def workflow_ids(
    tx: Tx,
    query: str | None = None,
    free_text: str | None = None,
    sort: str | None = None,
    start: int = 0,
    size: int = 100,
) -> tuple[int, list[str]]:
    """(total, ids of the page) of a workflow search."""
    page = await tx.search_workflows(search(query, free_text, sort, start, size))
    return page.total, [w.workflowId for w in page.items]


async def task_ids(
    tx: Tx,
    query: str | None = None,
    free_text: str | None = None,
    sort: str | None = None,
    start: int = 0,
    size: int = 100,
) -> tuple[int, list[str]]:
    """(total, ids of the page) of a task search."""
    page = await tx.search_tasks(search(query, free_text, sort, start, size))
    return page.total, [t.taskId for t in page.items]


def test_workflow_search_defaults_to_newest_first(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await populate(tx)
            assert await workflow_ids(tx) == (5, ["wf-d", "wf-e", "wf-a", "wf-c", "wf-b"])
            assert await workflow_ids(tx, start=1, size=2) == (5, ["wf-e", "wf-a"])
            assert await workflow_ids(tx, start=5) == (5, [])

    run(scenario)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("workflowType = checkout", ["wf-b", "wf-a", "wf-d"]),
        ("workflowType = check* AND version = 1", ["wf-b", "wf-a", "wf-e"]),
        ("status IN (COMPLETED) OR workflowType = refund", ["wf-b", "wf-c"]),
        ("startTime BETWEEN 20 AND 40 AND correlationId IS NOT null", ["wf-c", "wf-a"]),
        ("correlationId STARTS_WITH order", ["wf-c", "wf-a"]),
        ("idempotencyKey = k", ["wf-e"]),
        ("workflowId != wf-a AND startTime < 30", ["wf-b", "wf-c"]),
        ("parentWorkflowId IS null AND endTime = 0 AND priority >= 0", None),
    ],
)
def test_workflow_search_query(run: Run, query: str, expected: list[str] | None) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await populate(tx)
            want = expected or ["wf-b", "wf-c", "wf-a", "wf-e", "wf-d"]
            assert await workflow_ids(tx, query=query, sort="startTime:ASC") == (len(want), want)

    run(scenario)


def test_workflow_search_free_text_sort_and_paging(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await populate(tx)
            assert await workflow_ids(tx, free_text="ALICE") == (2, ["wf-d", "wf-a"])
            assert await workflow_ids(tx, free_text="*martin*") == (1, ["wf-a"])
            assert await workflow_ids(tx, free_text="*", size=1) == (5, ["wf-d"])
            # Free text pages and counts like any search, past its last match too.
            assert await workflow_ids(tx, free_text="alice", size=1) == (2, ["wf-d"])
            assert await workflow_ids(tx, free_text="alice", start=1, size=1) == (2, ["wf-a"])
            assert await workflow_ids(tx, free_text="alice", start=5) == (2, [])
            assert await workflow_ids(tx, free_text="alice", size=0) == (2, [])
            both = await workflow_ids(tx, "workflowType = checkout", free_text="alice")
            assert both == (2, ["wf-d", "wf-a"])
            sort = "workflowType:DESC|startTime:ASC"
            assert await workflow_ids(tx, sort=sort, start=1, size=3) == (
                5,
                ["wf-b", "wf-a", "wf-d"],  # after "refund": checkout by time; Checkout_EU last
            )
            # NULLs come first ascending, last descending, as in SQL.
            by_correlation = await workflow_ids(tx, sort="correlationId:ASC,startTime:ASC")
            assert by_correlation == (5, ["wf-b", "wf-e", "wf-d", "wf-a", "wf-c"])
            by_correlation = await workflow_ids(tx, sort="correlationId:DESC,startTime:ASC")
            assert by_correlation == (5, ["wf-c", "wf-a", "wf-b", "wf-e", "wf-d"])

    run(scenario)


def test_search_results_reflect_updates(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await populate(tx)
            wf = await tx.get_workflow("wf-a")
            assert wf is not None
            wf.status = COMPLETED
            await tx.update_workflow(wf)
            await tx.delete_workflow("wf-b")
            found = await workflow_ids(tx, query="status = COMPLETED")
            assert found == (1, ["wf-a"])

    run(scenario)


def test_task_search(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await populate(tx)
            # Newest scheduled first; attempts of executions that do not exist are left out.
            everything = ["t-charge-d", "t-ship", "t-charge-c", "t-charge-a"]
            assert await task_ids(tx) == (4, everything)
            charges = "workflowType = checkout AND taskType = charge_card"
            assert await task_ids(tx, charges, sort="scheduledTime:ASC") == (
                2,
                ["t-charge-a", "t-charge-d"],
            )
            assert await task_ids(tx, query="status IN (SCHEDULED, IN_PROGRESS)") == (
                3,
                ["t-charge-d", "t-ship", "t-charge-c"],
            )
            assert await task_ids(tx, query="workerId = worker-7 OR domain IS NOT null") == (
                1,
                ["t-ship"],
            )
            assert await task_ids(tx, query="referenceTaskName = charge AND workflowId = wf-c") == (
                1,
                ["t-charge-c"],
            )
            assert await task_ids(tx, free_text="dhl express") == (1, ["t-ship"])
            assert await task_ids(tx, free_text="charge", start=1, size=1) == (3, ["t-charge-c"])
            sort = "workflowId:DESC|scheduledTime:DESC"
            assert await task_ids(tx, sort=sort, start=1, size=2) == (4, ["t-charge-c", "t-ship"])

    run(scenario)


@pytest.mark.parametrize(
    ("query", "sort"),
    [
        ("nosuchfield = 1", None),
        ("status = ", None),
        (None, "nosuchfield:ASC"),
        (None, "startTime:UP"),
        ("startTime > yesterday", None),
    ],
)
def test_a_bad_query_or_sort_is_a_bad_request(
    run: Run, query: str | None, sort: str | None
) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            with pytest.raises(BadRequest):
                await tx.search_workflows(SearchRequest(query=query, sort=sort))
            with pytest.raises(BadRequest):
                await tx.search_tasks(SearchRequest(query=query, sort=sort))

    run(scenario)


@pytest.mark.parametrize("free_text", ["Émile", "émile", "*  zola", "zOLA"])
def test_free_text_folds_ascii_case_only_as_free_text_matches_does(
    run: Run, free_text: str
) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await populate(tx)
            # "émile" differs from the stored "Émile" in a non-ASCII letter: no match.
            want = (0, []) if free_text == "émile" else (1, ["wf-d"])
            assert await workflow_ids(tx, free_text=free_text) == want

    run(scenario)


@pytest.mark.slow
def test_totals_stop_at_max_total_hits(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            for i in range(MAX_TOTAL_HITS + 5):
                name = "many" if i % 2 else "other"
                await tx.insert_workflow(workflow(f"wf-{i:05d}", name, created=i))
            newest = [f"wf-{i:05d}" for i in range(MAX_TOTAL_HITS + 4, MAX_TOTAL_HITS - 1, -1)]
            assert await workflow_ids(tx, size=5) == (MAX_TOTAL_HITS, newest)
            assert await workflow_ids(tx, size=0) == (MAX_TOTAL_HITS, [])
            # Pages go on past the last one counted.
            last = await workflow_ids(tx, start=MAX_TOTAL_HITS + 3)
            assert last == (MAX_TOTAL_HITS, ["wf-00001", "wf-00000"])
            assert await workflow_ids(tx, start=2 * MAX_TOTAL_HITS) == (MAX_TOTAL_HITS, [])
            half = (MAX_TOTAL_HITS + 5) // 2
            assert (await workflow_ids(tx, "workflowType = many", size=1))[0] == half
            assert (await workflow_ids(tx, free_text="wf-0999", size=1))[0] == 10
            assert (await workflow_ids(tx, free_text="wf-", size=1))[0] == MAX_TOTAL_HITS

    run(scenario)
