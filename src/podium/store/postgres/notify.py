"""Wake-ups across nodes: LISTEN/NOTIFY on one channel.

A unit of work that touched queues or executions announces their keys (queue names,
`wf:<id>`, `changed:definitions`) with `pg_notify` inside its own transaction, so the
announcement leaves only if the work commits and costs no extra round trip. Every node listens
and hands other nodes' keys to its local wake-ups: a long poll on any node wakes the moment a
task is queued on any other. Delivery is best effort: a missed notification only delays a poll
until its own timeout, and after a lost connection every local waiter is woken to look again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson
import psycopg

__all__ = ["CHANNEL", "PostgresListener", "notification_payloads"]

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

log = logging.getLogger("podium.store.postgres")


def notification_payloads(origin: str, keys: Iterable[str]) -> Iterator[str]:
    """`{"from": origin, "keys": [...]}` texts, each under PostgreSQL's payload limit."""
    batch: list[str] = []
    size = 0
    for key in sorted(set(keys)):
        if len(key) > _MAX_PAYLOAD // 2:
            continue  # no real key is this long; a poll falls back on its timeout
        if batch and size + len(key) > _MAX_PAYLOAD - len(origin) - 32:
            yield _payload(origin, batch)
            batch, size = [], 0
        batch.append(key)
        size += len(key) + 3
    if batch:
        yield _payload(origin, batch)


def _payload(origin: str, keys: list[str]) -> str:
    return orjson.dumps({"from": origin, "keys": keys}).decode()


class PostgresListener:
    """Listens for other nodes' announcements (reconnecting after failures)."""

    def __init__(self, url: str, origin: str, *, retry_s: float = _RETRY_S) -> None:
        self.url = url
        self.origin = origin
        self.retry_s = retry_s

    async def listen(
        self, deliver: Callable[[list[str]], None], connected: Callable[[], None]
    ) -> None:
        """Hand every batch of keys another node announced to `deliver`, forever; call
        `connected` each time listening (re)starts, since what was announced meanwhile is lost."""
        delay = self.retry_s
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.url, **_CONNECT) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    if delay > self.retry_s:
                        log.info("listening again", extra={"action": "listen_resumed"})
                    delay = self.retry_s
                    connected()
                    async for note in conn.notifies():
                        self._deliver(note.payload, deliver)
            except psycopg.Error as exc:
                log.warning("listen failed", extra={"action": "listen_failed", "error": str(exc)})
            await asyncio.sleep(delay)
            delay = min(delay * 2, _MAX_RETRY_S)

    def _deliver(self, payload: str, deliver: Callable[[list[str]], None]) -> None:
        with contextlib.suppress(ValueError, TypeError, AttributeError, KeyError):
            note = orjson.loads(payload)
            if note.get("from") != self.origin:  # this node woke its own waiters already
                deliver([str(k) for k in note["keys"]])
