"""Access keys trade for tokens only while the key is active and its application exists."""

from __future__ import annotations

import asyncio

import pytest

from podium.errors import BadRequest, NotFound, Unauthenticated
from podium.services.applications import ApplicationService
from podium.services.context import ServiceContext
from podium.services.security import SecurityService
from podium.store.memory import MemoryStore


async def service() -> SecurityService:
    store = MemoryStore()
    await store.open()
    return SecurityService(ServiceContext(store=store))


def apps(security: SecurityService) -> ApplicationService:
    return ApplicationService(security.ctx)


def test_a_token_speaks_for_the_application_that_owns_the_key() -> None:
    async def scenario() -> None:
        security = await service()
        app = await apps(security).create_application(" billing ", ["WORKER", "WORKER"], actor="t")
        assert (app["name"], app["roles"]) == ("billing", ["WORKER"])
        key = await apps(security).create_access_key(app["id"])
        principal = await security.authenticate(
            await security.issue_token(key["id"], key["secret"], "10.0.0.1")
        )
        assert (principal.id, principal.roles) == (f"app:{app['id']}", frozenset({"WORKER"}))

    asyncio.run(scenario())


def test_an_inactive_key_or_a_deleted_application_gets_no_token() -> None:
    async def scenario() -> None:
        security = await service()
        app = await apps(security).create_application("billing", ["WORKER"], actor="t")
        key = await apps(security).create_access_key(app["id"])
        async with security.ctx.store.transaction() as tx:
            stored = await tx.get_access_key(key["id"])
            assert stored is not None
            assert key["secret"] not in str(stored)  # only its hash is kept
            await tx.put_access_key({**stored, "status": "INACTIVE"})
        with pytest.raises(Unauthenticated):
            await security.issue_token(key["id"], key["secret"], "10.0.0.1")
        second = await apps(security).create_access_key(app["id"])
        async with security.ctx.store.transaction() as tx:
            await tx.delete_application(app["id"])
        with pytest.raises(Unauthenticated):
            await security.issue_token(second["id"], second["secret"], "10.0.0.2")

    asyncio.run(scenario())


def test_bad_applications_and_keys_of_unknown_applications_are_refused() -> None:
    async def scenario() -> None:
        security = await service()
        with pytest.raises(BadRequest, match="SUPERUSER"):
            await apps(security).create_application("x", ["SUPERUSER"], actor="t")
        with pytest.raises(BadRequest):
            await apps(security).create_application("  ", ["ADMIN"], actor="t")
        with pytest.raises(NotFound):
            await apps(security).create_access_key("no-such-app")
        async with security.ctx.store.transaction() as tx:
            assert await tx.list_applications() == []

    asyncio.run(scenario())
