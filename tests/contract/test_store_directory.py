"""People's user records, groups, group membership and application tags: records kept by id,
membership and tags sets, each listed in code-point order; deleting cleans up after itself."""

from __future__ import annotations

from typing import Any

import pytest

from podium.store import JSON, Store

from .support import Run


class Boom(Exception):
    """Raised inside a unit of work to make it roll back."""


def user(user_id: str, **extra: Any) -> JSON:
    return {"id": user_id, "name": f"user {user_id}", "roles": ["USER"], **extra}


def group(group_id: str, **extra: Any) -> JSON:
    return {"id": group_id, "description": f"group {group_id}", "roles": [], **extra}


def ids(items: list[JSON]) -> list[str]:
    return [str(item["id"]) for item in items]


def test_users_and_groups_are_kept_by_id_replaced_and_listed_in_code_point_order(
    run: Run,
) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            assert await tx.list_users() == []
            assert await tx.list_groups() == []
            for some_id in ("b@x", "é", "a@x", "B@x", "_"):
                await tx.put_user(user(some_id))
                await tx.put_group(group(some_id))
        async with store.transaction() as tx:
            await tx.put_user(user("a@x", roles=["ADMIN"], contact={"k": "v"}))
            await tx.put_group(group("a@x", roles=["WORKER"]))
        async with store.transaction() as tx:
            assert ids(await tx.list_users()) == ["B@x", "_", "a@x", "b@x", "é"]
            assert ids(await tx.list_groups()) == ["B@x", "_", "a@x", "b@x", "é"]
            assert await tx.get_user("a@x") == user("a@x", roles=["ADMIN"], contact={"k": "v"})
            assert await tx.get_group("a@x") == group("a@x", roles=["WORKER"])
            assert await tx.get_user("A@x") is None  # ids are case-sensitive
            assert await tx.get_group("never") is None

    run(scenario)


def test_membership_is_a_set_listed_both_ways_in_code_point_order(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.add_group_members("ops", ["zoe", "ann", "Bob", "é"])
            await tx.add_group_members("ops", ["ann"])  # kept as it is
            await tx.add_group_members("dev", ["ann"])
            await tx.add_group_members("dev", [])
        async with store.transaction() as tx:
            assert await tx.group_members("ops") == ["Bob", "ann", "zoe", "é"]
            assert await tx.groups_of_user("ann") == ["dev", "ops"]
            assert await tx.group_members("OPS") == []
            assert await tx.groups_of_user("nobody") == []
            await tx.remove_group_members("ops", ["zoe", "never", "ann"])
            await tx.remove_group_members("ops", [])
        async with store.transaction() as tx:
            assert await tx.group_members("ops") == ["Bob", "é"]
            assert await tx.groups_of_user("ann") == ["dev"]

    run(scenario)


def test_deleting_a_user_or_a_group_removes_its_memberships_only(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            for some_id in ("ann", "bob"):
                await tx.put_user(user(some_id))
            for some_id in ("ops", "dev"):
                await tx.put_group(group(some_id))
            await tx.add_group_members("ops", ["ann", "bob"])
            await tx.add_group_members("dev", ["ann", "bob"])
        async with store.transaction() as tx:
            assert await tx.delete_user("ann") is True
            assert await tx.delete_user("ann") is False
            assert await tx.delete_group("dev") is True
            assert await tx.delete_group("dev") is False
            assert await tx.delete_group("never") is False
        async with store.transaction() as tx:
            assert ids(await tx.list_users()) == ["bob"]
            assert ids(await tx.list_groups()) == ["ops"]
            assert await tx.group_members("ops") == ["bob"]
            assert await tx.group_members("dev") == []
            assert await tx.groups_of_user("ann") == []
            assert await tx.groups_of_user("bob") == ["ops"]

    run(scenario)


def test_application_tags_are_a_set_per_application_gone_with_it(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.put_application({"id": "a1", "name": "one"})
            await tx.put_application({"id": "a2", "name": "two"})
            await tx.add_application_tags("a1", [("team", "pay"), ("env", "prod"), ("team", "ar")])
            await tx.add_application_tags("a1", [("env", "prod")])
            await tx.add_application_tags("a2", [("team", "pay")])
        async with store.transaction() as tx:
            assert await tx.application_tags("a1") == [
                ("env", "prod"),
                ("team", "ar"),
                ("team", "pay"),
            ]
            await tx.remove_application_tags("a1", [("team", "ar"), ("team", "never")])
            assert await tx.application_tags("a1") == [("env", "prod"), ("team", "pay")]
            assert await tx.delete_application("a1") is True
        async with store.transaction() as tx:
            assert await tx.application_tags("a1") == []
            assert await tx.application_tags("a2") == [("team", "pay")]

    run(scenario)


def test_a_rolled_back_unit_changes_no_user_group_membership_or_tag(run: Run) -> None:
    async def failing(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.put_user(user("bob"))
            await tx.delete_group("ops")
            await tx.add_group_members("dev", ["ann"])
            await tx.add_application_tags("a1", [("k", "v")])
            assert await tx.groups_of_user("ann") == ["dev"]  # own writes
            raise Boom

    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.put_user(user("ann"))
            await tx.put_group(group("ops"))
            await tx.add_group_members("ops", ["ann"])
        with pytest.raises(Boom):
            await failing(store)
        async with store.transaction() as tx:
            assert ids(await tx.list_users()) == ["ann"]
            assert ids(await tx.list_groups()) == ["ops"]
            assert await tx.groups_of_user("ann") == ["ops"]
            assert await tx.application_tags("a1") == []

    run(scenario)
