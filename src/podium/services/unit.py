"""A unit of work: one transaction, plus the wake-ups to send once it has committed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from podium.services.context import ServiceContext
from podium.store import Tx

__all__ = ["Unit", "announce", "unit_of_work"]


@dataclass(slots=True)
class Unit:
    """The open transaction and what to announce after commit."""

    tx: Tx
    wake: set[str] = field(default_factory=set)
    reports: list[Callable[[], None]] = field(default_factory=list)
    """Observer calls to make once the unit has committed (never for what rolled back)."""

    def report(self, call: Callable[[], None]) -> None:
        self.reports.append(call)


@asynccontextmanager
async def unit_of_work(ctx: ServiceContext) -> AsyncIterator[Unit]:
    """Run a block in one transaction; wake waiters and report events only if it commits."""
    async with ctx.store.transaction() as tx:
        unit = Unit(tx)
        yield unit
        if unit.wake:
            await tx.announce(unit.wake)  # other nodes hear it only if this commits
    ctx.wakeups.notify(unit.wake)
    for call in unit.reports:
        call()


async def announce(ctx: ServiceContext, keys: set[str]) -> None:
    """Wake the waiters on `keys`, on this node and on every other."""
    async with unit_of_work(ctx) as unit:
        unit.wake.update(keys)
