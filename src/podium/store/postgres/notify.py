"""Wake-ups across nodes: LISTEN/NOTIFY on one channel.

A node that commits work announces the keys it touched (queue names, `wf:<id>`); every node
listening hands them to its local wake-ups, so a long poll on any node wakes the moment a task
is queued on any other. Delivery is best effort: a missed notification only delays a poll until
its own timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable

import orjson
import psycopg

__all__ = ["CHANNEL", "PostgresNotifier"]

CHANNEL = "podium_wake"
_MAX_PAYLOAD = 7000  # PostgreSQL refuses NOTIFY payloads from 8000 bytes
_RETRY_S = 1.0

log = logging.getLogger("podium.store.postgres")


class PostgresNotifier:
    """Publishes wake-up keys and listens for other nodes' (reconnecting after failures)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._publisher: psycopg.AsyncConnection[tuple[object, ...]] | None = None

    async def publish(self, keys: Iterable[str]) -> None:
        """Announce keys to every node (this one included: harmless)."""
        batch = sorted(set(keys))
        if not batch:
            return
        payload = orjson.dumps(batch).decode()
        if len(payload) > _MAX_PAYLOAD:
            return  # too many keys at once: the polls fall back on their timeouts
        try:
            if self._publisher is None or self._publisher.closed:
                self._publisher = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
            await self._publisher.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
        except psycopg.Error as exc:
            log.warning("notify failed", extra={"action": "notify_failed", "error": str(exc)})
            self._publisher = None

    async def listen(self, deliver: Callable[[list[str]], None]) -> None:
        """Hand every announced batch of keys to `deliver`, forever."""
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    async for note in conn.notifies():
                        with contextlib.suppress(ValueError):
                            deliver(list(orjson.loads(note.payload)))
            except psycopg.Error as exc:
                log.warning("listen failed", extra={"action": "listen_failed", "error": str(exc)})
                await asyncio.sleep(_RETRY_S)

    async def close(self) -> None:
        if self._publisher is not None:
            await self._publisher.close()
            self._publisher = None
