"""A request's audit record commits with the first unit of work that commits while serving it,
inside that unit's transaction: never without the change, never twice."""

from __future__ import annotations

import asyncio

import pytest

from podium.services.context import ServiceContext
from podium.services.request_audit import RequestAudit, current_audit, note_resource
from podium.services.unit import unit_of_work
from podium.store import AuditQuery
from podium.store.memory import MemoryStore


def request() -> RequestAudit:
    return RequestAudit(lambda: "app:a1", "10.0.0.9", "POST", "/api/x", lambda: "route:x")


async def context() -> ServiceContext:
    store = MemoryStore()
    await store.open()
    return ServiceContext(store=store, clock=lambda: 1000, node="n1")


async def logged(ctx: ServiceContext) -> list[tuple[str, str, str, int]]:
    async with ctx.store.transaction() as tx:
        page = await tx.audit_records(AuditQuery())
    return [(r.principal, r.address, r.resource, r.status) for r in page.items]


def test_the_first_committing_unit_carries_the_record_once() -> None:
    async def scenario() -> None:
        ctx = await context()
        audit = request()
        token = current_audit().set(audit)
        try:
            with pytest.raises(RuntimeError):
                async with unit_of_work(ctx):
                    raise RuntimeError("rolled back")
            assert audit.recorded is False
            assert await logged(ctx) == []  # rolled back with the unit
            async with unit_of_work(ctx):
                note_resource("workflow:w1")
            async with unit_of_work(ctx):
                pass
        finally:
            current_audit().reset(token)
        assert getattr(audit, "recorded") is True  # noqa: B009 (mypy narrowed it to False)
        assert await logged(ctx) == [("app:a1", "10.0.0.9", "workflow:w1", 200)]

    asyncio.run(scenario())


def test_without_a_request_units_record_nothing() -> None:
    async def scenario() -> None:
        ctx = await context()
        async with unit_of_work(ctx):
            note_resource("workflow:w1")  # ignored: no request is being served
        assert await logged(ctx) == []

    asyncio.run(scenario())


def test_a_request_names_its_route_resource_unless_a_use_case_named_one() -> None:
    async def scenario() -> None:
        ctx = await context()
        token = current_audit().set(request())
        try:
            async with unit_of_work(ctx):
                pass
        finally:
            current_audit().reset(token)
        assert await logged(ctx) == [("app:a1", "10.0.0.9", "route:x", 200)]

    asyncio.run(scenario())
