"""Retention in the SQLite store: finding expired executions and purging them
(`migrations/sqlite/0003_retention.sql`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

__all__ = ["RetentionMixin"]

# Each statement names the executions through `history_purge`, which also unlocks the history
# trigger for exactly those ids; the table is emptied again before the unit ends.
_NAMED = "(SELECT workflow_id FROM history_purge)"
_TASKS = f"(SELECT task_id FROM task WHERE workflow_id IN {_NAMED})"
_PURGE = (
    f"DELETE FROM queue WHERE task_id IN {_TASKS}",
    f"DELETE FROM task_log WHERE task_id IN {_TASKS}",
    f"DELETE FROM task WHERE workflow_id IN {_NAMED}",
    f"DELETE FROM workflow WHERE workflow_id IN {_NAMED}",
    f"DELETE FROM workflow_archive WHERE workflow_id IN {_NAMED}",
    f"DELETE FROM history WHERE workflow_id IN {_NAMED}",
    "DELETE FROM history_purge",
)


class RetentionMixin:
    """Expired executions, oldest first, and their deletion for good."""

    conn: sqlite3.Connection

    async def ended_workflow_ids(self, ended_before: int, limit: int) -> list[str]:
        rows = self.conn.execute(
            "SELECT w.workflow_id FROM workflow w"
            " WHERE w.status IN ('COMPLETED','FAILED','TIMED_OUT','TERMINATED')"
            " AND w.end_time < ? AND w.update_time < ?"
            # No parent (NULL matches no row) or a parent that is gone.
            " AND NOT EXISTS (SELECT 1 FROM workflow p WHERE p.workflow_id = w.parent_workflow_id)"
            " ORDER BY w.end_time, w.workflow_id LIMIT ?",
            (ended_before, ended_before, limit),
        )
        return [r[0] for r in rows]

    async def archived_workflow_ids(self, archived_before: int, limit: int) -> list[str]:
        rows = self.conn.execute(
            "SELECT workflow_id FROM workflow_archive WHERE archived_at < ?"
            " ORDER BY archived_at, workflow_id LIMIT ?",
            (archived_before, limit),
        )
        return [r[0] for r in rows]

    async def purge_workflows(self, workflow_ids: Sequence[str]) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO history_purge (workflow_id) VALUES (?)",
            [(i,) for i in workflow_ids],
        )
        for statement in _PURGE:
            self.conn.execute(statement)
