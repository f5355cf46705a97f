"""Applications, access keys and server secrets: kept by id, keys listed per application."""

from __future__ import annotations

from typing import Any

import pytest

from podium.store import JSON, Store

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
