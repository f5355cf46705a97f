"""Structured log lines for what the services report, next to the metrics."""

from __future__ import annotations

import logging

from podium.observability.metrics import PrometheusObserver

__all__ = ["LoggingObserver"]

log = logging.getLogger("podium.events")


class LoggingObserver(PrometheusObserver):
    """Prometheus metrics plus one JSON log line per workflow start, end and task timeout.

    Per-task events (polls, updates) are metrics only: a log line each would cost more than the
    work on the hot path. Their history is in the database (`/api/workflow/{id}/history`).
    """

    def workflow_started(self, name: str, version: int, workflow_id: str) -> None:
        super().workflow_started(name, version, workflow_id)
        log.info(
            "workflow started",
            extra={
                "action": "workflow_started",
                "workflowType": name,
                "version": version,
                "workflowId": workflow_id,
            },
        )

    def workflow_start_failed(self, name: str, reason: str) -> None:
        super().workflow_start_failed(name, reason)
        log.warning(
            "workflow start failed",
            extra={"action": "workflow_start_failed", "workflowType": name, "error": reason},
        )

    def workflow_ended(self, name: str, workflow_id: str, status: str, duration_ms: int) -> None:
        super().workflow_ended(name, workflow_id, status, duration_ms)
        level = logging.INFO if status == "COMPLETED" else logging.WARNING
        log.log(
            level,
            "workflow ended",
            extra={
                "action": f"workflow_{status.lower()}",
                "workflowType": name,
                "workflowId": workflow_id,
                "status": status,
                "durationMs": duration_ms,
            },
        )

    def task_timed_out(self, task_type: str, kind: str, workflow_id: str, task_id: str) -> None:
        super().task_timed_out(task_type, kind, workflow_id, task_id)
        log.warning(
            "task timed out",
            extra={
                "action": "task_timed_out",
                "taskType": task_type,
                "timeout": kind,
                "workflowId": workflow_id,
                "taskId": task_id,
            },
        )

    def task_update_conflict(
        self, task_type: str, workflow_id: str, task_id: str, reason: str
    ) -> None:
        super().task_update_conflict(task_type, workflow_id, task_id, reason)
        log.warning(
            "task update not applied",
            extra={
                "action": "task_update_rejected",
                "taskType": task_type,
                "workflowId": workflow_id,
                "taskId": task_id,
                "reason": reason,
            },
        )
