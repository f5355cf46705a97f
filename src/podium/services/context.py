"""What every use case shares: the store, the clock, ids, wake-ups and observers."""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from podium.services.observer import NullObserver, Observer
from podium.store import Store

__all__ = [
    "DEFINITIONS_CHANGED",
    "GRANTS_CHANGED",
    "HANDLERS_CHANGED",
    "PRINCIPALS_CHANGED",
    "SESSIONS_CHANGED",
    "Limits",
    "ServiceContext",
    "Wakeups",
    "epoch_ms",
]

# Keys announced when what every node caches changes (on PostgreSQL, to every node).
DEFINITIONS_CHANGED = "changed:definitions"
HANDLERS_CHANGED = "changed:event-handlers"
GRANTS_CHANGED = "changed:grants"
PRINCIPALS_CHANGED = "changed:principals"
"""Applications, their keys and roles, users, groups or memberships changed."""
SESSIONS_CHANGED = "changed:sessions"
"""A UI session was ended (signed out, ended by an admin, or its user deleted)."""


def epoch_ms() -> int:
    return time.time_ns() // 1_000_000


class Wakeups:
    """Wakes coroutines waiting on a key (a queue name, or `wf:<id>`) once work commits there.

    Long polls wait here instead of re-querying the database in a loop. Listeners (`on`) are
    called for every notification of their key, e.g. to drop a cache when definitions change.
    """

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}
        self._listeners: dict[str, list[Callable[[], None]]] = {}

    def on(self, key: str, listener: Callable[[], None]) -> None:
        self._listeners.setdefault(key, []).append(listener)

    def notify(self, keys: Iterable[str]) -> None:
        for key in keys:
            for listener in self._listeners.get(key, ()):
                listener()
            for fut in self._waiters.pop(key, ()):
                if not fut.done():
                    fut.set_result(None)

    def notify_all(self) -> None:
        """Wake every waiter and listener: notifications may have been missed (a lost
        connection to the other nodes), so everyone looks again."""
        self.notify([*self._listeners, *self._waiters])

    async def wait_any(self, keys: list[str], timeout_s: float) -> bool:
        """Wait until any of `keys` is notified or the timeout passes."""
        if timeout_s <= 0:
            return False
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        for key in keys:
            self._waiters.setdefault(key, set()).add(fut)
        try:
            await asyncio.wait_for(fut, timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
            for key in keys:
                waiters = self._waiters.get(key)
                if waiters is not None:
                    waiters.discard(fut)
                    if not waiters:
                        self._waiters.pop(key, None)

    async def wait(self, key: str, timeout_s: float) -> bool:
        """Wait until `key` is notified or the timeout passes; True when notified."""
        return await self.wait_any([key], timeout_s)


@dataclass(frozen=True, slots=True)
class Limits:
    """Operational limits (all configurable)."""

    max_poll_timeout_ms: int = 5000
    max_batch_poll: int = 1000
    max_search_size: int = 5000
    max_bulk: int = 1000
    postpone_limited_ms: int = 60_000
    domain_active_ms: int = 10_000


def _node_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(slots=True)
class ServiceContext:
    """Shared by every service of one server process."""

    store: Store
    wakeups: Wakeups = field(default_factory=Wakeups)
    observer: Observer = field(default_factory=NullObserver)
    limits: Limits = field(default_factory=Limits)
    clock: Callable[[], int] = epoch_ms
    new_id: Callable[[], str] = lambda: str(uuid.uuid4())
    node: str = field(default_factory=_node_name)
    env: Mapping[str, str] = field(default_factory=dict)
    last_polls: dict[tuple[str, str], int] = field(default_factory=dict)
    reject_stale_updates: bool = True
    """Refuse (409) results for attempts that are no longer live; False acknowledges them
    without applying them, as Conductor does (they are recorded in the history either way)."""

    def is_domain_active(self, task_type: str, domain: str) -> bool:
        last = self.last_polls.get((task_type, domain))
        return last is not None and self.clock() - last <= self.limits.domain_active_ms
