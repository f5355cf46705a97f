"""The sweeper: enforces every timeout and recovers after a crash.

Every timeout is stored as a due time next to the row it concerns (task `check_at`, workflow
`timeout_at`), so the sweeper only asks the database what is due now and decides those
executions, one transaction each. Delays (retries, callbacks, start delays) need no sweeper:
queue entries become visible by themselves. Each sweep also reads the shared poll data, so a
domain whose workers poll another node counts as active here too.
"""

from __future__ import annotations

import asyncio
import logging

from podium.errors import PodiumError
from podium.model.executions import PollData
from podium.services.context import ServiceContext
from podium.services.operations import Operations
from podium.services.unit import unit_of_work

__all__ = ["Sweeper"]

log = logging.getLogger("podium.sweeper")


class Sweeper:
    """A background loop that decides executions whose timeouts fell due."""

    def __init__(self, ctx: ServiceContext, operations: Operations, interval_s: float = 1.0):
        self.ctx = ctx
        self.operations = operations
        self.interval_s = interval_s

    async def sweep_once(self, batch: int = 100) -> int:
        """Decide every due execution (up to `batch`); returns how many were decided."""
        async with unit_of_work(self.ctx) as unit:
            due = await unit.tx.due_workflows(self.ctx.clock(), batch)
            polls = await unit.tx.poll_data(None)
        self._learn_polls(polls)
        for workflow_id in due:
            try:
                await self.operations.decide(workflow_id, actor="sweeper")
            except Exception as exc:  # one broken execution must not block the others
                log.warning(
                    "sweep failed",
                    exc_info=not isinstance(exc, PodiumError),
                    extra={
                        "action": "sweep_failed",
                        "workflowId": workflow_id,
                        "error": str(exc),
                    },
                )
        return len(due)

    def _learn_polls(self, polls: list[PollData]) -> None:
        """Domains polled through other nodes are active here too (they share poll data)."""
        seen = self.ctx.last_polls
        for poll in polls:
            key = (poll.queueName, poll.domain or "")
            seen[key] = max(seen.get(key, 0), poll.lastPollTime)

    async def run(self) -> None:
        """Sweep forever, every `interval_s` (sooner while there is a backlog)."""
        while True:
            try:
                done = await self.sweep_once()
            except PodiumError as exc:
                log.warning("sweep failed", extra={"action": "sweep_failed", "error": exc.message})
                done = 0
            except Exception:  # a bug must not stop timeouts for the life of the process
                log.exception("sweep crashed", extra={"action": "sweep_crashed"})
                done = 0
            await asyncio.sleep(0.01 if done >= 100 else self.interval_s)
