"""A unit of work: one transaction, plus the wake-ups to send once it has committed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from podium.services.context import ServiceContext
from podium.store import Tx

__all__ = ["Unit", "unit_of_work"]


@dataclass(slots=True)
class Unit:
    """The open transaction and what to announce after commit."""

    tx: Tx
    wake: set[str] = field(default_factory=set)
    ended: list[tuple[str, str, str, int]] = field(default_factory=list)
    """(workflow name, id, status, duration ms) of executions that ended in this unit."""


@asynccontextmanager
async def unit_of_work(ctx: ServiceContext) -> AsyncIterator[Unit]:
    """Run a block in one transaction; wake waiters only if it commits."""
    async with ctx.store.transaction() as tx:
        unit = Unit(tx)
        yield unit
    ctx.wakeups.notify(unit.wake)
    for name, workflow_id, status, duration in unit.ended:
        ctx.observer.workflow_ended(name, workflow_id, status, duration)
