"""Event handlers: kept by name, found by exact event string and active flag."""

from __future__ import annotations

from typing import Any

import pytest

from podium.store import JSON, Store

from .support import Run


def handler(
    name: str, event: str = "conductor:orders", *, active: bool = True, **extra: Any
) -> JSON:
    """A handler's JSON as the service stores it."""
    actions = [{"action": "complete_task", "complete_task": {"taskId": "${taskId}"}}]
    return {"name": name, "event": event, "active": active, "actions": actions, **extra}


def names(handlers: list[JSON]) -> list[str]:
    return [str(h["name"]) for h in handlers]


def test_handlers_are_kept_by_name_and_listed_in_name_order(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.put_event_handler(handler("b", condition="$.x > 1"))
            await tx.put_event_handler(handler("a", "sqs:other", active=False))
            await tx.put_event_handler(handler("C"))
        async with store.transaction() as tx:
            assert await tx.get_event_handler("b") == handler("b", condition="$.x > 1")
            assert await tx.get_event_handler("B") is None  # names are case-sensitive
            assert await tx.get_event_handler("nope") is None
            assert names(await tx.list_event_handlers()) == ["C", "a", "b"]  # binary order

    run(scenario)


def test_listing_filters_on_the_exact_event_and_on_active(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.put_event_handler(handler("on", "conductor:orders"))
            await tx.put_event_handler(handler("off", "conductor:orders", active=False))
            await tx.put_event_handler(handler("other", "conductor:orders:eu"))
            await tx.put_event_handler(handler("prefix", "conductor:order"))
            await tx.put_event_handler({"name": "bare", "event": "conductor:orders"})
        async with store.transaction() as tx:
            every = await tx.list_event_handlers("conductor:orders")
            assert names(every) == ["bare", "off", "on"]
            assert names(await tx.list_event_handlers("conductor:orders", True)) == ["on"]
            assert names(await tx.list_event_handlers(active_only=True)) == [
                "on",
                "other",
                "prefix",
            ]
            assert await tx.list_event_handlers("CONDUCTOR:orders") == []
            assert await tx.list_event_handlers("") == []

    run(scenario)


def test_put_replaces_and_moves_the_handler_between_events(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.put_event_handler(handler("h", "conductor:a"))
            await tx.put_event_handler(handler("h", "conductor:b", active=False))
        async with store.transaction() as tx:
            assert await tx.get_event_handler("h") == handler("h", "conductor:b", active=False)
            assert await tx.list_event_handlers("conductor:a") == []
            assert names(await tx.list_event_handlers("conductor:b")) == ["h"]
            assert await tx.list_event_handlers("conductor:b", True) == []
            assert len(await tx.list_event_handlers()) == 1

    run(scenario)


def test_delete_reports_whether_the_handler_existed(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.put_event_handler(handler("a"))
            await tx.put_event_handler(handler("b"))
        async with store.transaction() as tx:
            assert await tx.delete_event_handler("a") is True
            assert await tx.delete_event_handler("a") is False
            assert await tx.delete_event_handler("never") is False
        async with store.transaction() as tx:
            assert await tx.get_event_handler("a") is None
            assert names(await tx.list_event_handlers("conductor:orders")) == ["b"]

    run(scenario)


def test_a_returned_handler_is_a_copy(run: Run) -> None:
    async def scenario(store: Store) -> None:
        mine = handler("h")
        async with store.transaction() as tx:
            await tx.put_event_handler(mine)
        mine["actions"].clear()  # the caller's object, changed after put
        async with store.transaction() as tx:
            got = await tx.get_event_handler("h")
            assert got == handler("h")
            got["actions"].append({"action": "fail_task"})
            listed = await tx.list_event_handlers()
            listed[0]["active"] = False
        async with store.transaction() as tx:
            assert await tx.get_event_handler("h") == handler("h")
            assert names(await tx.list_event_handlers("conductor:orders", True)) == ["h"]

    run(scenario)


def test_changes_of_a_failed_transaction_are_dropped(run: Run) -> None:
    async def failing(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.put_event_handler(handler("new"))
            await tx.put_event_handler(handler("kept", "conductor:moved"))
            assert names(await tx.list_event_handlers()) == ["kept", "new"]  # own writes
            raise RuntimeError("boom")

    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.put_event_handler(handler("kept"))
        with pytest.raises(RuntimeError, match="boom"):
            await failing(store)
        async with store.transaction() as tx:
            assert await tx.list_event_handlers() == [handler("kept")]

    run(scenario)
