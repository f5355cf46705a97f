"""Wake-ups across nodes: LISTEN/NOTIFY on one channel.

A node that commits work announces the keys it touched (queue names, `wf:<id>`); every node
listening hands them to its local wake-ups, so a long poll on any node wakes the moment a task
is queued on any other. Delivery is best effort: a missed notification only delays a poll until
its own timeout. When the database restarts, both connections reconnect by themselves; what was
announced meanwhile is lost, so each time listening starts again every local waiter is woken
to look for itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

import orjson
import psycopg

__all__ = ["CHANNEL", "PostgresNotifier"]

CHANNEL = "podium_wake"
_MAX_PAYLOAD = 7000  # PostgreSQL refuses NOTIFY payloads from 8000 bytes
_RETRY_S = 0.2  # the first wait before listening again; it doubles up to _MAX_RETRY_S
_MAX_RETRY_S = 5.0
# TCP keepalives: the listening connection only waits, so without them a server that vanished
# without closing the connection (a network partition) would leave it waiting forever.
_CONNECT: dict[str, Any] = {
    "autocommit": True,
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}

Connection = psycopg.AsyncConnection[tuple[object, ...]]

log = logging.getLogger("podium.store.postgres")


class PostgresNotifier:
    """Publishes wake-up keys and listens for other nodes' (reconnecting after failures)."""

    def __init__(self, url: str, *, retry_s: float = _RETRY_S) -> None:
        self.url = url
        self.retry_s = retry_s
        self._publisher: Connection | None = None
        self._connecting = asyncio.Lock()

    async def publish(self, keys: Iterable[str]) -> None:
        """Announce keys to every node (this one included: harmless)."""
        batch = sorted(set(keys))
        if not batch:
            return
        payload = orjson.dumps(batch).decode()
        if len(payload) > _MAX_PAYLOAD:
            return  # too many keys at once: the polls fall back on their timeouts
        for last in (False, True):  # a connection found dead is replaced once: a wake-up may repeat
            conn = None
            try:
                conn = await self._publishing_connection()
                await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
                return
            except psycopg.Error as exc:
                await self._drop_publisher(conn)
                if last:
                    log.warning(
                        "notify failed", extra={"action": "notify_failed", "error": str(exc)}
                    )

    async def _publishing_connection(self) -> Connection:
        async with self._connecting:
            if self._publisher is None or self._publisher.closed:
                self._publisher = await psycopg.AsyncConnection.connect(self.url, **_CONNECT)
            return self._publisher

    async def _drop_publisher(self, failed: Connection | None) -> None:
        if failed is not None and failed is self._publisher:
            self._publisher = None
            with contextlib.suppress(psycopg.Error):
                await failed.close()

    async def listen(
        self, deliver: Callable[[list[str]], None], resync: Callable[[], None] = lambda: None
    ) -> None:
        """Hand every announced batch of keys to `deliver`, forever.

        `resync` runs each time listening starts (again): the caller wakes its local waiters,
        since what was announced while this node was not listening is lost.
        """
        delay = self.retry_s
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.url, **_CONNECT) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    if delay > self.retry_s:
                        log.info("listening again", extra={"action": "listen_resumed"})
                    delay = self.retry_s
                    resync()
                    async for note in conn.notifies():
                        with contextlib.suppress(ValueError):
                            deliver(list(orjson.loads(note.payload)))
            except psycopg.Error as exc:
                log.warning("listen failed", extra={"action": "listen_failed", "error": str(exc)})
            await asyncio.sleep(delay)
            delay = min(delay * 2, _MAX_RETRY_S)

    async def close(self) -> None:
        await self._drop_publisher(self._publisher)
