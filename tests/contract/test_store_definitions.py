"""Workflow and task definitions, and definition snapshots."""

from __future__ import annotations

from podium.store import Store

from .support import Run


def test_workflow_definitions_are_kept_per_version(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.put_workflow_def({"name": "b", "version": 1, "tasks": []})
            await tx.put_workflow_def({"name": "a", "version": 2, "tasks": []})
            await tx.put_workflow_def({"name": "a", "version": 10, "tasks": []})
            await tx.put_workflow_def({"name": "a", "tasks": ["no version: 1"]})
        async with store.transaction() as tx:
            latest = await tx.get_workflow_def("a", None)
            assert latest is not None
            assert latest["version"] == 10  # numerically highest, not "10" < "2"
            assert await tx.get_workflow_def("a", 1) == {"name": "a", "tasks": ["no version: 1"]}
            assert await tx.get_workflow_def("a", 3) is None
            assert await tx.get_workflow_def("zzz", None) is None
            every = [(d["name"], d.get("version", 1)) for d in await tx.list_workflow_defs()]
            assert every == [("a", 1), ("a", 2), ("a", 10), ("b", 1)]
            latest_only = await tx.list_workflow_defs(latest_only=True)
            assert [(d["name"], d["version"]) for d in latest_only] == [("a", 10), ("b", 1)]

    run(scenario)


def test_put_replaces_and_delete_reports_whether_it_existed(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.put_workflow_def({"name": "a", "version": 1, "description": "old"})
            await tx.put_workflow_def({"name": "a", "version": 1, "description": "new"})
            assert await tx.get_workflow_def("a", 1) == {
                "name": "a",
                "version": 1,
                "description": "new",
            }
            assert await tx.delete_workflow_def("a", 1) is True
            assert await tx.delete_workflow_def("a", 1) is False
            assert await tx.get_workflow_def("a", None) is None
            assert await tx.list_workflow_defs() == []

    run(scenario)


def test_a_returned_definition_is_a_copy(run: Run) -> None:
    async def scenario(store: Store) -> None:
        tasks = [{"name": "t"}]
        definition = {"name": "a", "version": 1, "tasks": tasks}
        async with store.transaction() as tx:
            await tx.put_workflow_def(definition)
            await tx.put_task_def({"name": "t", "retryCount": 3})
        tasks.append({"name": "later"})  # the caller's object, changed after put
        async with store.transaction() as tx:
            got = await tx.get_workflow_def("a", 1)
            assert got == {"name": "a", "version": 1, "tasks": [{"name": "t"}]}
            got["tasks"].clear()
            task_def = await tx.get_task_def("t")
            assert task_def is not None
            task_def["retryCount"] = 0
        async with store.transaction() as tx:
            assert await tx.get_workflow_def("a", 1) == {
                "name": "a",
                "version": 1,
                "tasks": [{"name": "t"}],
            }
            assert await tx.get_task_def("t") == {"name": "t", "retryCount": 3}

    run(scenario)


def test_task_definitions(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.put_task_def({"name": "ship", "retryCount": 1})
            await tx.put_task_def({"name": "charge", "retryCount": 1})
            await tx.put_task_def({"name": "ship", "retryCount": 5})
        async with store.transaction() as tx:
            assert await tx.get_task_def("ship") == {"name": "ship", "retryCount": 5}
            assert await tx.get_task_def("nope") is None
            assert [d["name"] for d in await tx.list_task_defs()] == ["charge", "ship"]
            assert await tx.delete_task_def("charge") is True
            assert await tx.delete_task_def("charge") is False
            assert await tx.list_task_defs() == [{"name": "ship", "retryCount": 5}]

    run(scenario)


def test_snapshots_are_kept_once_per_digest(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            assert await tx.get_snapshot("d1") is None
            await tx.put_snapshot("d1", b'{"name":"a"}')
            await tx.put_snapshot("d1", b'{"name":"other"}')  # idempotent: the first stays
            await tx.put_snapshot("d2", b"{}")
        async with store.transaction() as tx:
            assert await tx.get_snapshot("d1") == b'{"name":"a"}'
            assert await tx.get_snapshot("d2") == b"{}"

    run(scenario)
