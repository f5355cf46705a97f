"""Retention in the in-memory store, with the SQL stores' selection and order."""

from __future__ import annotations

from collections.abc import Sequence

from podium.model.statuses import WorkflowStatus
from podium.store.memory_state import MemoryState

__all__ = ["MemoryRetention"]

_ENDED = frozenset(s.value for s in WorkflowStatus if s.terminal)


class MemoryRetention:
    """Expired executions, oldest first, and their deletion for good."""

    state: MemoryState

    async def ended_workflow_ids(self, ended_before: int, limit: int) -> list[str]:
        workflows = self.state.workflows
        found = sorted(
            (r.end_time, r.workflow_id)
            for r in workflows.rows()
            if r.status in _ENDED
            and r.end_time < ended_before
            and r.update_time < ended_before
            and (r.parent_workflow_id is None or r.parent_workflow_id not in workflows)
        )
        return [workflow_id for _, workflow_id in found[:limit]]

    async def archived_workflow_ids(self, archived_before: int, limit: int) -> list[str]:
        found = sorted(
            (at, workflow_id)
            for workflow_id, (at, _) in self.state.archive.items()
            if at < archived_before
        )
        return [workflow_id for _, workflow_id in found[:limit]]

    async def purge_workflows(self, workflow_ids: Sequence[str]) -> None:
        doomed = set(workflow_ids)
        state = self.state
        for task in state.tasks.rows():
            if task.workflow_id in doomed:
                state.queue.pop(task.task_id)
                state.logs.pop(task.task_id)
                state.tasks.pop(task.task_id)
        for workflow_id in doomed:
            state.workflows.pop(workflow_id)
            state.archive.pop(workflow_id)
            state.history.pop(workflow_id)
