"""A unit of work: one transaction, plus the wake-ups to send once it has committed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from podium.model.executions import QueueEntry
from podium.services.context import ServiceContext
from podium.services.request_audit import COMMITTED, current_audit
from podium.store import Tx

__all__ = ["Unit", "announce", "unit_of_work"]


@dataclass(slots=True)
class Unit:
    """The open transaction and what to announce after commit."""

    tx: Tx
    wake: set[str] = field(default_factory=set)
    """Keys whose waiters wake on every node once the unit commits."""
    here: set[str] = field(default_factory=set)
    """Keys whose waiters wake on this node only (no other node waits on them)."""
    queued: dict[str, set[str]] = field(default_factory=dict)
    """Task ids queued by this unit, by queue."""
    claimed: set[str] = field(default_factory=set)
    """Task ids this unit took off their queues again (e.g. update-v2's next task)."""
    reports: list[Callable[[], None]] = field(default_factory=list)
    """Observer calls to make once the unit has committed (never for what rolled back)."""

    def report(self, call: Callable[[], None]) -> None:
        self.reports.append(call)

    def queue(self, entries: Iterable[QueueEntry]) -> None:
        """Note queue entries this unit added, so that pollers of their queues wake."""
        for entry in entries:
            self.queued.setdefault(entry.queue, set()).add(entry.task_id)

    def announced(self) -> tuple[set[str], set[str]]:
        """The keys to wake on every node, and those to wake on this node only.

        A queue all of whose new entries this unit claimed again holds nothing new for a
        poller elsewhere: announcing it would only cost every commit PostgreSQL's global
        NOTIFY lock and every node a wasted wake-up.
        """
        busy = {queue for queue, ids in self.queued.items() if not ids <= self.claimed}
        everywhere = self.wake | busy
        return everywhere, (self.here | self.queued.keys()) - everywhere


@asynccontextmanager
async def unit_of_work(ctx: ServiceContext) -> AsyncIterator[Unit]:
    """Run a block in one transaction; wake waiters and report events only if it commits.

    The first unit to commit while serving an auditable request carries its audit record.
    """
    audit = current_audit().get()
    if audit is not None and audit.recorded:
        audit = None
    async with ctx.store.transaction() as tx:
        unit = Unit(tx)
        yield unit
        if audit is not None:
            await tx.append_audit([audit.record(ctx.clock(), COMMITTED, ctx.node)])
        everywhere, here = unit.announced()
        if everywhere:
            await tx.announce(everywhere)  # other nodes hear it only if this commits
    if audit is not None:
        audit.recorded = True
    ctx.wakeups.notify(everywhere | here)
    for call in unit.reports:
        call()


async def announce(ctx: ServiceContext, keys: set[str]) -> None:
    """Wake the waiters on `keys`, on this node and on every other."""
    async with unit_of_work(ctx) as unit:
        unit.wake.update(keys)
