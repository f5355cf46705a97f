"""Retention: executions that ended long enough ago are deleted or archived by a background loop,
so that the database does not grow without bound (docs/howto/retention.md).

Every node runs the loop; the store hands each transaction its own candidates (PostgreSQL:
`FOR UPDATE SKIP LOCKED`), so nodes share the work without a leader and never do it twice. A
batch is one short transaction, and the loop pauses between batches at least as long as the
batch took, so that the hot path (polls, updates) is never kept waiting long.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from podium.errors import PodiumError
from podium.services.context import ServiceContext
from podium.services.operations import Operations
from podium.services.unit import Unit, unit_of_work

__all__ = ["Retention", "RetentionPolicy"]

log = logging.getLogger("podium.retention")

_DAY_MS = 86_400_000
MODES = ("delete", "archive")


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long ended executions are kept, and what happens to them then.

    `days` 0 keeps everything forever (the default: nothing is deleted unless asked for).
    `delete` removes an execution with its tasks, logs and history, and also archived
    executions once they have been archived for `days`; `archive` keeps its final JSON (still
    answered by `GET /api/workflow/{id}`) and its history, and drops the rest.
    """

    days: float = 0.0
    mode: str = "delete"
    batch: int = 100
    """Executions per transaction."""
    interval_s: float = 60.0
    """Pause between two rounds; a round runs batches until nothing is left to do."""

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"retention mode must be delete or archive, not {self.mode!r}")
        if self.days < 0 or self.batch < 1 or self.interval_s <= 0:
            raise ValueError("retention needs days >= 0, batch >= 1 and interval > 0")

    @property
    def enabled(self) -> bool:
        return self.days > 0


class Retention:
    """The background loop that applies a `RetentionPolicy`."""

    def __init__(
        self,
        ctx: ServiceContext,
        operations: Operations,
        policy: RetentionPolicy,
        pause_s: float = 0.01,
    ) -> None:
        self.ctx = ctx
        self.operations = operations
        self.policy = policy
        self.pause_s = pause_s

    def cutoff(self) -> int:
        """Executions that ended before this time (epoch ms) are due."""
        return self.ctx.clock() - round(self.policy.days * _DAY_MS)

    async def purge_batch(self) -> int:
        """One transaction: delete or archive up to `batch` due executions; how many."""
        if not self.policy.enabled:
            return 0
        cutoff, batch = self.cutoff(), self.policy.batch
        async with unit_of_work(self.ctx) as unit:
            ids = await unit.tx.ended_workflow_ids(cutoff, batch)
            if self.policy.mode == "archive":
                await self._archive(unit, ids)
            else:
                if len(ids) < batch:
                    ids += await unit.tx.archived_workflow_ids(cutoff, batch - len(ids))
                await unit.tx.purge_workflows(ids)
            if ids:
                unit.report(lambda: self._report(ids, cutoff))
        return len(ids)

    async def _archive(self, unit: Unit, workflow_ids: list[str]) -> None:
        days = self.policy.days
        reason = f"retention: ended more than {days:g} day{'' if days == 1 else 's'} ago"
        for workflow_id in workflow_ids:
            wf = await unit.tx.get_workflow(workflow_id)
            if wf is not None:  # claimed by this transaction: always there
                await self.operations.remove_loaded(
                    unit, wf, archive=True, actor="retention", reason=reason
                )

    def _report(self, workflow_ids: list[str], cutoff: int) -> None:
        mode = self.policy.mode
        self.ctx.observer.executions_purged(mode, len(workflow_ids))
        log.info(
            "executions purged",
            extra={
                "action": "retention_purged",
                "mode": mode,
                "count": len(workflow_ids),
                "endedBefore": cutoff,
                "workflowIds": workflow_ids,
            },
        )

    async def purge_once(self) -> int:
        """Run batches until one finds nothing due (a parent's purge makes its sub-workflows
        due in the next batch); how many executions went in all."""
        total = 0
        while True:
            started = time.monotonic()
            done = await self.purge_batch()
            if not done:
                return total
            total += done
            # Waiting transactions go first: while there is a backlog, retention takes at most
            # about half of the database's time (SQLite has one writer).
            await asyncio.sleep(max(self.pause_s, time.monotonic() - started))

    async def run(self) -> None:
        """Purge every `interval_s` for the life of the process; returns at once when off."""
        if not self.policy.enabled:
            return
        while True:
            try:
                await self.purge_once()
            except PodiumError as exc:
                log.warning(
                    "retention failed", extra={"action": "retention_failed", "error": exc.message}
                )
            except Exception:  # a bug must not stop retention for the life of the process
                log.exception("retention crashed", extra={"action": "retention_crashed"})
            await asyncio.sleep(self.policy.interval_s)
