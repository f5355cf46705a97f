"""UI sessions: whether one is open is read once and remembered on this node (no database read
per request) until an ended session is announced; the stored id reveals no cookie."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from podium.auth.principals import Principal
from podium.auth.sessions import new_sid
from podium.services.context import SESSIONS_CHANGED, ServiceContext
from podium.services.sessions import UiSessions, session_id
from podium.store import Tx
from podium.store.memory import MemoryStore

ERIN = Principal("erin", "erin@example.com", frozenset())


class CountingStore(MemoryStore):
    """The in-memory store, counting the transactions opened."""

    def __init__(self) -> None:
        super().__init__()
        self.opened = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        self.opened += 1
        async with super().transaction() as tx:
            yield tx


def test_an_open_session_is_read_once_and_forgotten_when_an_end_is_announced() -> None:
    async def scenario() -> None:
        store = CountingStore()
        await store.open()
        ctx = ServiceContext(store=store)
        sessions, sid = UiSessions(ctx), new_sid()
        await sessions.record(sid, ERIN, 1_000, 4_600)
        before = store.opened
        assert [await sessions.is_open(sid) for _ in range(50)] == [True] * 50
        assert store.opened == before + 1  # one read, then remembered
        async with store.transaction() as tx:  # ended behind the cache's back (another node)
            assert await tx.end_session(session_id(sid), 2_000)
        assert await sessions.is_open(sid)  # still remembered...
        ctx.wakeups.notify([SESSIONS_CHANGED])  # ...until the announcement arrives
        assert not await sessions.is_open(sid)
        assert not await sessions.is_open(new_sid())  # never recorded

    asyncio.run(scenario())


def test_ending_a_session_announces_it() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        await store.open()
        ctx = ServiceContext(store=store)
        heard: list[str] = []
        ctx.wakeups.on(SESSIONS_CHANGED, lambda: heard.append("changed"))
        sessions, sid = UiSessions(ctx), new_sid()
        await sessions.record(sid, ERIN, 1_000, 4_600)
        assert await sessions.is_open(sid)
        await sessions.end(sid)
        assert heard == ["changed"]
        assert not await sessions.is_open(sid)
        await sessions.end(sid)  # signing out twice ends nothing more, announces nothing
        assert heard == ["changed"]

    asyncio.run(scenario())


def test_the_stored_id_is_an_opaque_digest_of_the_sid() -> None:
    sid = new_sid()
    assert session_id(sid) == session_id(sid)
    assert session_id(sid) != session_id(new_sid())
    assert sid not in session_id(sid)
    assert len(session_id(sid)) == 22
