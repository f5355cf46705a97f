"""What must hold in the database at every moment of a run, sampled while the run goes on."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg

__all__ = ["Invariants", "stuck_tasks", "work_by_node"]

# The transactional outbox: a SCHEDULED task always has its queue entry (one statement, one
# snapshot, so both sides are seen as of the same commit).
_UNQUEUED = (
    "SELECT workflow_id, ref_name, task_id FROM task t WHERE status = 'SCHEDULED'"
    " AND NOT EXISTS (SELECT 1 FROM queue q WHERE q.task_id = t.task_id)"
)
# A live task whose timeout check (response timeout, lease) fell due long ago: no sweeper
# on any node is doing its work.
_OVERDUE = (
    "SELECT workflow_id, ref_name, task_id, status, check_at FROM task"
    " WHERE NOT done AND check_at > 0 AND check_at < %s"
)
_STUCK = (
    "SELECT t.workflow_id, t.ref_name, t.task_id, t.status, t.check_at, q.visible_at"
    " FROM task t LEFT JOIN queue q ON q.task_id = t.task_id"
    " WHERE NOT t.done OR q.task_id IS NOT NULL ORDER BY t.workflow_id, t.seq"
)


# Who did what, from the history: node (host:pid) -> event -> count.
_WORK = (
    "SELECT node, CASE WHEN actor = 'sweeper' THEN 'swept' ELSE event END AS what, count(*)"
    " FROM history WHERE event IN ('task_polled', 'task_claimed') OR actor = 'sweeper'"
    " GROUP BY 1, 2 ORDER BY 1, 2"
)


class Invariants(threading.Thread):
    """Samples the database every `every` seconds until stopped (skipping while it is down)."""

    def __init__(self, url: str, *, overdue_after_ms: int, every: float = 0.5) -> None:
        super().__init__(name="invariants", daemon=True)
        self.url = url
        self.overdue_after_ms = overdue_after_ms
        self.every = every
        self.samples = 0
        self.violations: list[str] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(self.every):
            try:
                with psycopg.connect(self.url, connect_timeout=2) as conn:
                    self._sample(conn)
            except psycopg.OperationalError:
                continue  # the database is down on purpose: nothing to see

    def _sample(self, conn: psycopg.Connection[Any]) -> None:
        now_ms = time.time_ns() // 1_000_000
        for row in conn.execute(_UNQUEUED).fetchall():
            self.violations.append(f"SCHEDULED without a queue entry: {row}")
        for row in conn.execute(_OVERDUE, (now_ms - self.overdue_after_ms,)).fetchall():
            self.violations.append(f"live {self.overdue_after_ms} ms past its check: {row}")
        self.samples += 1

    def stop(self) -> None:
        self._halt.set()
        self.join(10)


def stuck_tasks(url: str) -> list[tuple[Any, ...]]:
    """Tasks still live, or still queued (after a run every one must have ended)."""
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            return list(conn.execute(_STUCK).fetchall())
    except psycopg.OperationalError as exc:
        return [("database unreachable", str(exc))]


def work_by_node(url: str) -> dict[str, dict[str, int]]:
    """Per node (host:pid, so a restarted node counts twice): tasks handed to workers
    (`task_polled`), system tasks claimed (`task_claimed`) and sweeper decisions (`swept`)."""
    found: dict[str, dict[str, int]] = {}
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            for node, what, count in conn.execute(_WORK).fetchall():
                found.setdefault(node, {})[what] = int(count)
    except psycopg.OperationalError:
        pass
    return found
