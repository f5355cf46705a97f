"""The PostgreSQL store and listener recover by themselves when the server drops their connections.

`pg_terminate_backend` on a per-test database does to the connections what a database restart
does, without disturbing anyone else sharing the server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import psycopg
import pytest

from podium.errors import StoreUnavailable
from podium.store.postgres import PostgresStore
from podium.store.postgres.notify import CHANNEL, PostgresListener, notification_payloads
from tests.support.pgcluster import PostgresCluster, private_postgres
from tests.support.postgres import postgres_database, terminate_connections


@pytest.fixture
def url() -> Iterator[str]:
    with postgres_database() as database_url:
        yield database_url


async def _open_connections(store: PostgresStore, count: int) -> None:
    """Hold `count` units of work open at once, so that the pool keeps that many connections."""
    everyone = asyncio.Barrier(count)

    async def hold() -> None:
        async with store.transaction() as tx:
            await tx.list_task_defs()
            await everyone.wait()

    await asyncio.wait_for(asyncio.gather(*(hold() for _ in range(count))), 10)


def test_units_of_work_begin_on_live_connections_after_the_server_dropped_the_pool(
    url: str,
) -> None:
    async def scenario() -> None:
        store = PostgresStore(url, min_size=1, max_size=4)
        await store.open()
        try:
            await _open_connections(store, 4)
            assert terminate_connections(url) >= 4
            for _ in range(6):  # more units than dead connections: none of them fails
                async with store.transaction() as tx:
                    assert await tx.list_task_defs() == []
        finally:
            await store.close()

    asyncio.run(scenario())


async def lose_connection_midway(store: PostgresStore, url: str) -> None:
    async with store.transaction() as tx:
        await tx.list_task_defs()
        terminate_connections(url)
        await tx.list_task_defs()


def test_a_connection_lost_inside_a_unit_fails_that_unit_as_store_unavailable(url: str) -> None:
    async def scenario() -> None:
        store = PostgresStore(url, min_size=1, max_size=2)
        await store.open()
        try:
            with pytest.raises(StoreUnavailable, match="the database failed"):
                await lose_connection_midway(store, url)
            async with store.transaction() as tx:  # the next unit gets a new connection
                assert await tx.list_task_defs() == []
        finally:
            await store.close()

    asyncio.run(scenario())


def test_listen_reconnects_resyncs_and_delivers_again(url: str) -> None:
    async def scenario() -> None:
        listener = PostgresListener(url, origin="node-a", retry_s=0.05)
        delivered: list[list[str]] = []
        resyncs = asyncio.Queue[None]()
        listening = asyncio.create_task(
            listener.listen(delivered.append, lambda: resyncs.put_nowait(None))
        )
        try:
            await asyncio.wait_for(resyncs.get(), 5)  # connected (a first resync is harmless)
            terminate_connections(url)
            # Notifications sent while it was away are lost: the resync wakes every local poll.
            await asyncio.wait_for(resyncs.get(), 5)
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as other:
                for payload in notification_payloads("node-b", ["queue_a"]):
                    await other.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
            await _wait_until(lambda: ["queue_a"] in delivered)
        finally:
            listening.cancel()
            with pytest.raises(asyncio.CancelledError):
                await listening

    asyncio.run(scenario())


async def _wait_until(check: Callable[[], bool], timeout: float = 5) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_a_unit_begun_while_the_database_is_down_waits_for_it() -> None:
    """A crash of the whole server (a private cluster: never the shared one)."""

    async def scenario(cluster: PostgresCluster, url: str) -> None:
        store = PostgresStore(url, min_size=1, max_size=3)
        await store.open()
        try:
            await _open_connections(store, 3)
            crash = asyncio.create_task(asyncio.to_thread(cluster.crash, 1.5))
            # Down for good: the postmaster has reaped every backend (it stops listening
            # first, so "refuses connections" alone may come while our pooled connections'
            # backends still live, and a unit could take one that dies under it).
            pid_file = cluster.data / "postmaster.pid"
            await _wait_until(lambda: not _accepts_connections(url) and not pid_file.exists())
            async with store.transaction() as tx:  # waits for the restart
                assert await tx.list_task_defs() == []
            await crash
        finally:
            await store.close()

    with private_postgres() as cluster:
        asyncio.run(scenario(cluster, cluster.create_database("outage")))


def _accepts_connections(url: str) -> bool:
    try:
        psycopg.connect(url, connect_timeout=1).close()
    except psycopg.OperationalError:
        return False
    return True
