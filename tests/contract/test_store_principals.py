"""Applications, access keys, grants and server secrets: kept by id, keys listed per
application, grants a set listed by subject or by target."""

from __future__ import annotations

from typing import Any

import pytest

from podium.store import JSON, Grant, Store

from .support import Run


class Boom(Exception):
    """Raised inside a unit of work to make it roll back."""


def app(app_id: str, **extra: Any) -> JSON:
    """An application's JSON as `podium.auth` stores it."""
    return {"id": app_id, "name": f"app {app_id}", "createdBy": "admin", **extra}


def key(key_id: str, app_id: str = "app-1", created: int | None = 1_000) -> JSON:
    """An access key's JSON (a hash of its secret, never the secret); no `createdAt` if None."""
    body: JSON = {"id": key_id, "applicationId": app_id, "secretHash": f"hash-{key_id}"}
    if created is not None:
        body["createdAt"] = created
    return body


def ids(items: list[JSON]) -> list[str]:
    return [str(item["id"]) for item in items]


def test_applications_are_kept_by_id_and_replaced(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.put_application(app("a", roles=["WORKER"]))
            await tx.put_application(app("b"))
        async with store.transaction() as tx:
            await tx.put_application(app("a", roles=["ADMIN"], tags=[{"k": "v"}]))
        async with store.transaction() as tx:
            assert await tx.get_application("a") == app("a", roles=["ADMIN"], tags=[{"k": "v"}])
            assert await tx.get_application("b") == app("b")
            assert await tx.get_application("A") is None  # ids are case-sensitive
            assert await tx.get_application("never") is None
            assert len(await tx.list_applications()) == 2

    run(scenario)


def test_applications_are_listed_in_code_point_order_of_id(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            assert await tx.list_applications() == []
            for app_id in ("b", "é", "a", "B", "_", "a-2", "a1"):
                await tx.put_application(app(app_id))
        async with store.transaction() as tx:
            listed = await tx.list_applications()
            assert ids(listed) == ["B", "_", "a", "a-2", "a1", "b", "é"]
            assert listed[0] == app("B")

    run(scenario)


def test_deleting_an_application_deletes_its_keys_only(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.put_application(app("doomed"))
            await tx.put_application(app("kept"))
            await tx.put_access_key(key("k1", "doomed"))
            await tx.put_access_key(key("k2", "doomed", 2_000))
            await tx.put_access_key(key("k3", "kept"))
        async with store.transaction() as tx:
            assert await tx.delete_application("doomed") is True
            assert await tx.delete_application("doomed") is False
            assert await tx.delete_application("never") is False
        async with store.transaction() as tx:
            assert await tx.get_application("doomed") is None
            assert ids(await tx.list_applications()) == ["kept"]
            assert await tx.get_access_key("k1") is None
            assert await tx.get_access_key("k2") is None
            assert await tx.list_access_keys("doomed") == []
            assert await tx.get_access_key("k3") == key("k3", "kept")
            assert await tx.list_access_keys("kept") == [key("k3", "kept")]

    run(scenario)


def test_access_keys_are_listed_per_application_by_creation_then_id(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.put_access_key(key("late", created=3_000))
            await tx.put_access_key(key("b-same", created=2_000))
            await tx.put_access_key(key("a-same", created=2_000))
            await tx.put_access_key(key("Z-same", created=2_000))
            await tx.put_access_key(key("undated", created=None))  # counts as createdAt 0
            await tx.put_access_key(key("early", created=10))
            await tx.put_access_key(key("other", "app-2", created=1))
        async with store.transaction() as tx:
            listed = await tx.list_access_keys("app-1")
            assert ids(listed) == ["undated", "early", "Z-same", "a-same", "b-same", "late"]
            assert listed[0] == key("undated", created=None)
            assert ids(await tx.list_access_keys("app-2")) == ["other"]
            assert await tx.list_access_keys("APP-1") == []
            assert await tx.list_access_keys("never") == []

    run(scenario)


def test_replacing_a_key_moves_it_in_order_and_between_applications(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.put_access_key(key("k1", created=1))
            await tx.put_access_key(key("k2", created=2))
            await tx.put_access_key(key("moved", created=3))
        async with store.transaction() as tx:
            await tx.put_access_key(key("k1", created=5) | {"status": "INACTIVE"})
            await tx.put_access_key(key("moved", "app-2", created=3))
        async with store.transaction() as tx:
            assert await tx.get_access_key("k1") == key("k1", created=5) | {"status": "INACTIVE"}
            assert ids(await tx.list_access_keys("app-1")) == ["k2", "k1"]
            assert await tx.list_access_keys("app-2") == [key("moved", "app-2", created=3)]

    run(scenario)


def test_deleting_a_key_reports_whether_it_existed(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.put_application(app("app-1"))
            await tx.put_access_key(key("k1"))
            await tx.put_access_key(key("k2", created=2_000))
        async with store.transaction() as tx:
            assert await tx.delete_access_key("k1") is True
            assert await tx.delete_access_key("k1") is False
            assert await tx.delete_access_key("never") is False
        async with store.transaction() as tx:
            assert await tx.get_access_key("k1") is None
            assert await tx.get_access_key("k2") == key("k2", created=2_000)
            assert ids(await tx.list_access_keys("app-1")) == ["k2"]
            assert await tx.get_application("app-1") == app("app-1")

    run(scenario)


def test_returned_principals_are_copies(run: Run) -> None:
    async def scenario(store: Store) -> None:
        mine = app("a", roles=["WORKER"])
        async with store.transaction() as tx:
            await tx.put_application(mine)
            await tx.put_access_key(key("k1", "a"))
        mine["roles"].append("ADMIN")  # the caller's object, changed after put
        async with store.transaction() as tx:
            got = await tx.get_application("a")
            assert got == app("a", roles=["WORKER"])
            got["roles"].clear()
            (await tx.list_access_keys("a"))[0]["applicationId"] = "b"
        async with store.transaction() as tx:
            assert await tx.list_applications() == [app("a", roles=["WORKER"])]
            assert await tx.get_access_key("k1") == key("k1", "a")

    run(scenario)


def test_a_server_secret_is_the_first_candidate_ever_stored(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            assert await tx.server_secret("signing", b"first\x00\xff") == b"first\x00\xff"
            assert await tx.server_secret("signing", b"second") == b"first\x00\xff"
            assert await tx.server_secret("other", b"another") == b"another"
        async with store.transaction() as tx:
            assert await tx.server_secret("signing", b"third") == b"first\x00\xff"
            assert await tx.server_secret("other", b"x") == b"another"
            assert await tx.server_secret("Signing", b"cased") == b"cased"

    run(scenario)


def test_changes_of_a_failed_transaction_are_dropped(run: Run) -> None:
    async def failing(store: Store) -> None:
        async with store.transaction() as tx:
            assert await tx.server_secret("signing", b"lost") == b"lost"
            await tx.put_application(app("new"))
            await tx.put_access_key(key("new-key", "kept"))
            assert await tx.delete_application("kept") is True
            assert await tx.list_access_keys("kept") == []  # own writes
            raise Boom

    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.put_application(app("kept"))
            await tx.put_access_key(key("old-key", "kept"))
        with pytest.raises(Boom):
            await failing(store)
        async with store.transaction() as tx:
            assert await tx.list_applications() == [app("kept")]
            assert await tx.list_access_keys("kept") == [key("old-key", "kept")]
            assert await tx.get_access_key("new-key") is None
            assert await tx.server_secret("signing", b"kept") == b"kept"

    run(scenario)


def grant(subject: str, target: str, access: str = "READ") -> Grant:
    """A grant from `TYPE:id` subject and target strings, e.g. `grant("USER:u", "TAG:t")`."""
    subject_type, subject_id = subject.split(":", 1)
    target_type, target_id = target.split(":", 1)
    return Grant(subject_type, subject_id, target_type, target_id, access)


def test_grants_of_a_subject_are_ordered_by_target_type_id_then_access(run: Run) -> None:
    mine = [
        grant("USER:u", "WORKFLOW_DEF:a", "UPDATE"),
        grant("USER:u", "WORKFLOW_DEF:é"),
        grant("USER:u", "TASK_DEF:z"),
        grant("USER:u", "WORKFLOW_DEF:a", "EXECUTE"),
        grant("USER:u", "WORKFLOW_DEF:B"),
        grant("USER:u", "TAG:zz"),
        grant("USER:u", "WORKFLOW_DEF:_"),
        grant("USER:u", "WORKFLOW_DEF:a", "READ"),
        grant("USER:u", "WORKFLOW_DEF:a-2"),
        grant("USER:u", "WORKFLOW_DEF:a1"),
    ]
    others = [
        grant("USER:U", "WORKFLOW_DEF:a"),  # ids are case-sensitive
        grant("GROUP:u", "WORKFLOW_DEF:a"),  # same id, another subject type
        grant("USER:u2", "TAG:a"),
        grant("ROLE:x", "USER:u"),  # the subject's id as a target is no grant *of* it
    ]

    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            assert await tx.grants_of_subject("USER", "u") == []
            await tx.add_grants(mine[:4] + others)
            await tx.add_grants(mine[4:])
        async with store.transaction() as tx:
            assert await tx.grants_of_subject("USER", "u") == [
                grant("USER:u", "TAG:zz"),
                grant("USER:u", "TASK_DEF:z"),
                grant("USER:u", "WORKFLOW_DEF:B"),
                grant("USER:u", "WORKFLOW_DEF:_"),
                grant("USER:u", "WORKFLOW_DEF:a", "EXECUTE"),
                grant("USER:u", "WORKFLOW_DEF:a", "READ"),
                grant("USER:u", "WORKFLOW_DEF:a", "UPDATE"),
                grant("USER:u", "WORKFLOW_DEF:a-2"),
                grant("USER:u", "WORKFLOW_DEF:a1"),
                grant("USER:u", "WORKFLOW_DEF:é"),
            ]
            assert await tx.grants_of_subject("USER", "U") == [others[0]]
            assert await tx.grants_of_subject("GROUP", "u") == [others[1]]
            assert await tx.grants_of_subject("ROLE", "x") == [others[3]]
            assert await tx.grants_of_subject("USER", "never") == []
            assert await tx.grants_of_subject("user", "u") == []

    run(scenario)


def test_grants_on_a_target_are_ordered_by_subject_type_id_then_access(run: Run) -> None:
    on = [
        grant("USER:b", "WORKFLOW_DEF:w", "UPDATE"),
        grant("USER:é", "WORKFLOW_DEF:w"),
        grant("ROLE:ADMIN", "WORKFLOW_DEF:w"),
        grant("USER:b", "WORKFLOW_DEF:w", "DELETE"),
        grant("USER:B", "WORKFLOW_DEF:w"),
        grant("GROUP:zz", "WORKFLOW_DEF:w", "EXECUTE"),
        grant("USER:_", "WORKFLOW_DEF:w"),
        grant("USER:app:a1", "WORKFLOW_DEF:w"),
        grant("USER:b", "WORKFLOW_DEF:w", "READ"),
    ]
    others = [
        grant("USER:b", "WORKFLOW_DEF:W"),  # ids are case-sensitive
        grant("USER:b", "TASK_DEF:w"),  # same id, another target type
        grant("USER:b", "WORKFLOW_DEF:w2"),
        grant("WORKFLOW_DEF:w", "TAG:t"),  # the target's id as a subject is no grant *on* it
    ]

    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            assert await tx.grants_on_target("WORKFLOW_DEF", "w") == []
            await tx.add_grants(others + on[:5])
        async with store.transaction() as tx:
            await tx.add_grants(on[5:])
        async with store.transaction() as tx:
            assert await tx.grants_on_target("WORKFLOW_DEF", "w") == [
                grant("GROUP:zz", "WORKFLOW_DEF:w", "EXECUTE"),
                grant("ROLE:ADMIN", "WORKFLOW_DEF:w"),
                grant("USER:B", "WORKFLOW_DEF:w"),
                grant("USER:_", "WORKFLOW_DEF:w"),
                grant("USER:app:a1", "WORKFLOW_DEF:w"),
                grant("USER:b", "WORKFLOW_DEF:w", "DELETE"),
                grant("USER:b", "WORKFLOW_DEF:w", "READ"),
                grant("USER:b", "WORKFLOW_DEF:w", "UPDATE"),
                grant("USER:é", "WORKFLOW_DEF:w"),
            ]
            assert await tx.grants_on_target("WORKFLOW_DEF", "W") == [others[0]]
            assert await tx.grants_on_target("TASK_DEF", "w") == [others[1]]
            assert await tx.grants_on_target("TAG", "t") == [others[3]]
            assert await tx.grants_on_target("WORKFLOW_DEF", "never") == []
            assert await tx.grants_on_target("workflow_def", "w") == []

    run(scenario)


def test_adding_a_grant_twice_keeps_one(run: Run) -> None:
    twice = grant("USER:u", "WORKFLOW_DEF:w")
    other = grant("USER:u", "WORKFLOW_DEF:w", "EXECUTE")

    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.add_grants([twice, twice, other])
            await tx.add_grants([twice])
            await tx.add_grants([])
        async with store.transaction() as tx:
            await tx.add_grants([other, twice])
        async with store.transaction() as tx:
            assert await tx.grants_of_subject("USER", "u") == [other, twice]
            assert await tx.grants_on_target("WORKFLOW_DEF", "w") == [other, twice]
            await tx.remove_grants([twice])  # one removal takes it: no second copy was kept
        async with store.transaction() as tx:
            assert await tx.grants_of_subject("USER", "u") == [other]
            assert await tx.grants_on_target("WORKFLOW_DEF", "w") == [other]

    run(scenario)


def test_removing_grants_removes_only_those_named(run: Run) -> None:
    read = grant("USER:u", "WORKFLOW_DEF:w", "READ")
    execute = grant("USER:u", "WORKFLOW_DEF:w", "EXECUTE")
    update = grant("USER:u", "WORKFLOW_DEF:w", "UPDATE")
    elsewhere = grant("USER:u", "WORKFLOW_DEF:w2", "READ")
    neighbour = grant("USER:v", "WORKFLOW_DEF:w", "READ")
    group = grant("GROUP:u", "WORKFLOW_DEF:w", "READ")

    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.add_grants([read, execute, update, elsewhere, neighbour, group])
        async with store.transaction() as tx:
            await tx.remove_grants(
                [
                    read,
                    update,
                    read,  # named twice
                    grant("USER:u", "WORKFLOW_DEF:w", "DELETE"),  # never granted
                    grant("USER:u", "WORKFLOW_DEF:w", "execute"),  # case differs
                    grant("USER:nobody", "TAG:none"),
                ]
            )
            await tx.remove_grants([])
        async with store.transaction() as tx:
            assert await tx.grants_of_subject("USER", "u") == [execute, elsewhere]
            assert await tx.grants_of_subject("USER", "v") == [neighbour]
            assert await tx.grants_of_subject("GROUP", "u") == [group]
            assert await tx.grants_on_target("WORKFLOW_DEF", "w") == [group, execute, neighbour]
            assert await tx.grants_on_target("WORKFLOW_DEF", "w2") == [elsewhere]
        async with store.transaction() as tx:
            await tx.remove_grants([execute, elsewhere])
            await tx.remove_grants([execute])  # gone already
        async with store.transaction() as tx:
            assert await tx.grants_of_subject("USER", "u") == []
            assert await tx.grants_on_target("WORKFLOW_DEF", "w") == [group, neighbour]
            assert await tx.grants_on_target("WORKFLOW_DEF", "w2") == []

    run(scenario)


def test_grants_of_a_failed_transaction_are_dropped(run: Run) -> None:
    kept = grant("USER:u", "WORKFLOW_DEF:w")
    removed = grant("USER:u", "WORKFLOW_DEF:w", "EXECUTE")
    added = grant("USER:u", "TAG:t")

    async def failing(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.add_grants([added, grant("ROLE:r", "WORKFLOW_DEF:w")])
            await tx.remove_grants([removed])
            assert await tx.grants_of_subject("USER", "u") == [added, kept]  # own writes
            assert await tx.grants_on_target("WORKFLOW_DEF", "w") == [
                grant("ROLE:r", "WORKFLOW_DEF:w"),
                kept,
            ]
            raise Boom

    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.add_grants([kept, removed])
        with pytest.raises(Boom):
            await failing(store)
        async with store.transaction() as tx:
            assert await tx.grants_of_subject("USER", "u") == [removed, kept]
            assert await tx.grants_on_target("WORKFLOW_DEF", "w") == [removed, kept]
            assert await tx.grants_on_target("TAG", "t") == []
            assert await tx.grants_of_subject("ROLE", "r") == []

    run(scenario)
