"""Who a caller is right now: roles read from the store, cached per node in bounded caches that
every announced change clears."""

from __future__ import annotations

import asyncio

import pytest

from podium.auth.principals import Principal
from podium.errors import Unauthenticated
from podium.services.applications import ApplicationService
from podium.services.context import PRINCIPALS_CHANGED, ServiceContext
from podium.services.identities import BoundedCache, Identities
from podium.store.memory import MemoryStore


def test_a_bounded_cache_forgets_the_oldest_entries_and_stale_ones() -> None:
    cache: BoundedCache[str, int] = BoundedCache(size=2, ttl_s=60)
    for n, key in enumerate("abc"):
        cache.put(key, n)
    assert len(cache) == 2
    assert cache.get("a") == (False, None)
    assert cache.get("c") == (True, 2)
    cache.clear()
    assert cache.get("c") == (False, None)
    stale: BoundedCache[str, int] = BoundedCache(size=2, ttl_s=-1)
    stale.put("a", 1)
    assert stale.get("a") == (False, None)


def test_an_application_keeps_its_stored_roles_until_a_change_is_announced() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        await store.open()
        ctx = ServiceContext(store=store)
        apps, identities = ApplicationService(ctx), Identities(ctx)
        app = await apps.create_application("billing", ["WORKER"], actor="t")
        key = await apps.create_access_key(app["id"])
        claimed = Principal.of_application(app["id"], "billing", frozenset(), key["id"])
        assert (await identities.identify(claimed)).roles == {"WORKER"}
        async with store.transaction() as tx:  # behind the cache's back
            await tx.put_application({**app, "roles": ["ADMIN"]})
        assert (await identities.identify(claimed)).roles == {"WORKER"}  # cached
        ctx.wakeups.notify([PRINCIPALS_CHANGED])
        assert (await identities.identify(claimed)).roles == {"ADMIN"}
        await apps.delete_access_key(app["id"], key["id"], by=None)  # announces by itself
        with pytest.raises(Unauthenticated):
            await identities.identify(claimed)
        forged = Principal.of_application(app["id"], "billing", frozenset({"ADMIN"}), None)
        with pytest.raises(Unauthenticated):
            await identities.identify(forged)

    asyncio.run(scenario())
