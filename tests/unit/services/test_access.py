"""Grant evaluation: subjects of a principal, TAG grants expanded, and caches dropped when
grants or definitions change (and only then, within the safety-net lifetime)."""

from __future__ import annotations

import asyncio

from podium.auth.principals import Principal
from podium.model.executions import Task, Workflow
from podium.services.access import AccessService, owner_grants, subjects
from podium.services.context import DEFINITIONS_CHANGED, GRANTS_CHANGED, ServiceContext
from podium.store import Grant
from podium.store.memory import MemoryStore

ALICE = Principal("alice", "Alice", frozenset({"USER", "READ_ONLY_USER"}))


async def service() -> AccessService:
    store = MemoryStore()
    await store.open()
    return AccessService(ServiceContext(store=store))


async def add(access: AccessService, *grants: Grant) -> None:
    async with access.ctx.store.transaction() as tx:
        await tx.add_grants(grants)


def test_a_principal_speaks_for_itself_and_each_of_its_roles() -> None:
    assert subjects(ALICE) == [("USER", "alice"), ("ROLE", "READ_ONLY_USER"), ("ROLE", "USER")]


def test_grants_of_the_principal_and_of_its_roles_stack() -> None:
    async def scenario() -> None:
        access = await service()
        await add(
            access,
            *owner_grants("alice", "WORKFLOW_DEF", "mine"),
            Grant("ROLE", "USER", "TASK_DEF", "shared", "READ"),
            Grant("USER", "bob", "WORKFLOW_DEF", "bobs", "READ"),
        )
        rights = await access.rights(ALICE)
        assert rights.named("WORKFLOW_DEF", "EXECUTE") == {"mine"}
        assert rights.may("READ", "TASK_DEF", "shared")
        assert not rights.may("READ", "WORKFLOW_DEF", "bobs")

    asyncio.run(scenario())


def test_a_tag_grant_covers_the_definitions_carrying_the_tag() -> None:
    async def scenario() -> None:
        access = await service()
        tagged = [{"key": "team", "value": "pay"}]
        async with access.ctx.store.transaction() as tx:
            await tx.put_workflow_def({"name": "old", "version": 1, "tags": tagged})
            await tx.put_workflow_def({"name": "old", "version": 2, "tasks": []})
            await tx.put_workflow_def({"name": "charge", "version": 1, "tags": tagged})
            await tx.put_task_def({"name": "card", "tags": tagged})
            await tx.put_task_def({"name": "other"})
        await add(access, Grant("ROLE", "USER", "TAG", "team:pay", "READ"))
        rights = await access.rights(ALICE)
        # A workflow definition carries the tags of its latest version.
        assert rights.named("WORKFLOW_DEF", "READ") == {"charge"}
        assert rights.named("TASK_DEF", "READ") == {"card"}

    asyncio.run(scenario())


def test_rights_are_cached_until_grants_or_definitions_change() -> None:
    async def scenario() -> None:
        access = await service()
        assert not (await access.rights(ALICE)).may("READ", "WORKFLOW_DEF", "x")
        await add(access, Grant("USER", "alice", "WORKFLOW_DEF", "x", "READ"))
        assert not (await access.rights(ALICE)).may("READ", "WORKFLOW_DEF", "x")  # cached
        access.ctx.wakeups.notify([GRANTS_CHANGED])
        assert (await access.rights(ALICE)).may("READ", "WORKFLOW_DEF", "x")

        await add(access, Grant("USER", "alice", "TAG", "k:v", "READ"))
        access.ctx.wakeups.notify([GRANTS_CHANGED])
        assert not (await access.rights(ALICE)).may("READ", "TASK_DEF", "t")
        async with access.ctx.store.transaction() as tx:
            await tx.put_task_def({"name": "t", "tags": [{"key": "k", "value": "v"}]})
        access.ctx.wakeups.notify([DEFINITIONS_CHANGED])
        assert (await access.rights(ALICE)).may("READ", "TASK_DEF", "t")

    asyncio.run(scenario())


def test_executions_and_tasks_resolve_to_their_definition() -> None:
    async def scenario() -> None:
        access = await service()
        async with access.ctx.store.transaction() as tx:
            await tx.insert_workflow(Workflow("w1", "pay", 1, "hash"))
            await tx.insert_tasks([Task("t1", "w1", "SIMPLE", "step")], [0])
            await tx.archive_workflow("w2", b'{"workflowName": "gone"}', 0)
            await tx.put_workflow_def({"name": "pay", "version": 3, "tasks": []})
        assert await access.workflow_name("w1") == "pay"
        assert await access.workflow_name("w2") == "gone"  # removed, archived
        assert await access.task_workflow_name("t1") == "pay"
        assert await access.workflow_name("nope") is None
        assert await access.task_workflow_name("nope") is None
        assert await access.existing("WORKFLOW_DEF", ["pay", "x"]) == {"pay"}
        assert await access.existing("TASK_DEF", ["pay"]) == set()

    asyncio.run(scenario())
