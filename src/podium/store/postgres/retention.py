"""Retention in the PostgreSQL store: claiming expired executions and purging them
(`migrations/postgres/0003_retention.sql`).

Every node runs the retention loop. Candidates are claimed with `FOR UPDATE SKIP LOCKED`, so two
nodes never take the same execution, and a row a decision holds (a retry, a late update) is left
for a later round instead of being waited for.
"""

from __future__ import annotations

from collections.abc import Sequence

from podium.store.postgres.base import PgBase

__all__ = ["RetentionMixin"]

_TASKS = "SELECT task_id FROM task WHERE workflow_id = ANY(%s)"


class RetentionMixin(PgBase):
    """Expired executions, oldest first, and their deletion for good."""

    async def ended_workflow_ids(self, ended_before: int, limit: int) -> list[str]:
        rows = await self._all(
            "SELECT w.workflow_id FROM workflow w"
            " WHERE w.status IN ('COMPLETED','FAILED','TIMED_OUT','TERMINATED')"
            " AND w.end_time < %s AND w.update_time < %s"
            # No parent (NULL matches no row) or a parent that is gone; written without an OR
            # so that PostgreSQL probes the primary key instead of hashing the whole table.
            " AND NOT EXISTS (SELECT 1 FROM workflow p WHERE p.workflow_id = w.parent_workflow_id)"
            " ORDER BY w.end_time, w.workflow_id LIMIT %s FOR UPDATE OF w SKIP LOCKED",
            (ended_before, ended_before, limit),
        )
        return [r[0] for r in rows]

    async def archived_workflow_ids(self, archived_before: int, limit: int) -> list[str]:
        rows = await self._all(
            "SELECT workflow_id FROM workflow_archive WHERE archived_at < %s"
            " ORDER BY archived_at, workflow_id LIMIT %s FOR UPDATE SKIP LOCKED",
            (archived_before, limit),
        )
        return [r[0] for r in rows]

    async def _delete_executions(self, workflow_ids: Sequence[str]) -> None:
        """The executions' rows, tasks, logs and queue entries (not archive nor history)."""
        ids = (list(workflow_ids),)
        await self._run(f"DELETE FROM queue WHERE task_id IN ({_TASKS})", ids)
        await self._run(f"DELETE FROM task_log WHERE task_id IN ({_TASKS})", ids)
        await self._run("DELETE FROM task WHERE workflow_id = ANY(%s)", ids)
        await self._run("DELETE FROM workflow WHERE workflow_id = ANY(%s)", ids)

    async def purge_workflows(self, workflow_ids: Sequence[str]) -> None:
        if not workflow_ids:
            return
        ids = (list(workflow_ids),)
        await self._delete_executions(workflow_ids)
        await self._run("DELETE FROM workflow_archive WHERE workflow_id = ANY(%s)", ids)
        # The history trigger lets rows go only while this is on, and only of executions that
        # are gone by now; it is switched off again before anything else runs.
        await self._run("SELECT set_config('podium.retention', 'on', true)")
        await self._run("DELETE FROM history WHERE workflow_id = ANY(%s)", ids)
        await self._run("SELECT set_config('podium.retention', 'off', true)")
