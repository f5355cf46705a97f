"""Prometheus metrics with Conductor's names (spec section 8), fed by the services' observer."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["PrometheusObserver"]

_FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_SLOW = (0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400, 86400)


class PrometheusObserver:
    """Counts and times what the services report; renders the text exposition format."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.start_success = Counter(
            "workflow_start_success", "Workflows started", ["workflowName", "version"], registry=r
        )
        self.start_error = Counter(
            "workflow_start_error",
            "Workflow starts that failed",
            ["workflowName", "exception"],
            registry=r,
        )
        self.completed = Counter(
            "workflow_completed", "Workflows completed", ["workflowName"], registry=r
        )
        self.failure = Counter(
            "workflow_failure",
            "Workflows that ended unsuccessfully",
            ["workflowName", "status"],
            registry=r,
        )
        self.execution = Histogram(
            "workflow_execution_seconds",
            "Duration of ended workflows",
            ["workflowName"],
            buckets=_SLOW,
            registry=r,
        )
        self.decision = Histogram(
            "workflow_decision_seconds", "Time of one decision", buckets=_FAST, registry=r
        )
        self.poll = Counter("task_poll", "Polls", ["taskType"], registry=r)
        self.poll_count = Counter(
            "task_poll_count", "Tasks handed to workers", ["taskType", "domain"], registry=r
        )
        self.poll_time = Histogram(
            "task_poll_seconds",
            "Poll latency (long polls included)",
            ["taskType"],
            buckets=_FAST,
            registry=r,
        )
        self.queue_wait = Histogram(
            "task_queue_wait_seconds",
            "Time from scheduled to polled",
            ["taskType"],
            buckets=_FAST,
            registry=r,
        )
        self.update = Counter("task_update", "Task updates", ["taskType", "status"], registry=r)
        self.update_time = Histogram(
            "task_update_seconds", "Task update latency", ["taskType"], buckets=_FAST, registry=r
        )
        self.timeouts = Counter("task_timeout", "Task timeouts", ["taskType", "kind"], registry=r)
        self.update_conflicts = Counter(
            "task_update_conflict",
            "Results for attempts that were no longer live (not applied)",
            ["taskType"],
            registry=r,
        )
        self.purged = Counter(
            "retention_purged",
            "Ended executions deleted or archived by retention",
            ["mode"],
            registry=r,
        )
        self.queue_depth = Gauge(
            "task_queue_depth",
            "Tasks waiting in each queue ([domain:]type), delayed ones included",
            ["taskType"],
            registry=r,
        )

    def workflow_started(self, name: str, version: int, workflow_id: str) -> None:
        self.start_success.labels(name, str(version)).inc()

    def workflow_start_failed(self, name: str, reason: str) -> None:
        self.start_error.labels(name, reason).inc()

    def workflow_ended(self, name: str, workflow_id: str, status: str, duration_ms: int) -> None:
        if status == "COMPLETED":
            self.completed.labels(name).inc()
        else:
            self.failure.labels(name, status).inc()
        self.execution.labels(name).observe(duration_ms / 1000)

    def tasks_polled(self, task_type: str, domain: str | None, count: int, seconds: float) -> None:
        self.poll.labels(task_type).inc()
        if count:
            self.poll_count.labels(task_type, domain or "").inc(count)
        self.poll_time.labels(task_type).observe(seconds)

    def task_queue_wait(self, task_type: str, wait_ms: int) -> None:
        self.queue_wait.labels(task_type).observe(wait_ms / 1000)

    def task_updated(self, task_type: str, status: str, seconds: float) -> None:
        self.update.labels(task_type, status).inc()
        self.update_time.labels(task_type).observe(seconds)

    def task_timed_out(self, task_type: str, kind: str, workflow_id: str, task_id: str) -> None:
        self.timeouts.labels(task_type, kind).inc()

    def task_update_conflict(
        self, task_type: str, workflow_id: str, task_id: str, reason: str
    ) -> None:
        self.update_conflicts.labels(task_type).inc()

    def decided(self, seconds: float) -> None:
        self.decision.observe(seconds)

    def executions_purged(self, mode: str, count: int) -> None:
        self.purged.labels(mode).inc(count)

    def set_queue_depths(self, depths: dict[str, tuple[int, int]]) -> None:
        self.queue_depth.clear()
        for queue, (size, _) in depths.items():
            self.queue_depth.labels(queue).set(size)

    def render(self) -> bytes:
        return generate_latest(self.registry)
