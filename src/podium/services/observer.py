"""How use cases report what happened (metrics and logs plug in here at wiring time)."""

from __future__ import annotations

from typing import Protocol

__all__ = ["NullObserver", "Observer"]


class Observer(Protocol):
    """Receives one call per event; implementations must be cheap and never raise."""

    def workflow_started(self, name: str, version: int, workflow_id: str) -> None: ...

    def workflow_start_failed(self, name: str, reason: str) -> None: ...

    def workflow_ended(
        self, name: str, workflow_id: str, status: str, duration_ms: int
    ) -> None: ...

    def tasks_polled(
        self, task_type: str, domain: str | None, count: int, seconds: float
    ) -> None: ...

    def task_queue_wait(self, task_type: str, wait_ms: int) -> None: ...

    def task_updated(self, task_type: str, status: str, seconds: float) -> None: ...

    def task_timed_out(self, task_type: str, kind: str, workflow_id: str, task_id: str) -> None: ...

    def task_update_conflict(
        self, task_type: str, workflow_id: str, task_id: str, reason: str
    ) -> None: ...

    def decided(self, seconds: float) -> None: ...

    def executions_purged(self, mode: str, count: int) -> None: ...


class NullObserver:
    """Ignores everything (tests, and the default)."""

    def workflow_started(self, name: str, version: int, workflow_id: str) -> None:
        pass

    def workflow_start_failed(self, name: str, reason: str) -> None:
        pass

    def workflow_ended(self, name: str, workflow_id: str, status: str, duration_ms: int) -> None:
        pass

    def tasks_polled(self, task_type: str, domain: str | None, count: int, seconds: float) -> None:
        pass

    def task_queue_wait(self, task_type: str, wait_ms: int) -> None:
        pass

    def task_updated(self, task_type: str, status: str, seconds: float) -> None:
        pass

    def task_timed_out(self, task_type: str, kind: str, workflow_id: str, task_id: str) -> None:
        pass

    def task_update_conflict(
        self, task_type: str, workflow_id: str, task_id: str, reason: str
    ) -> None:
        pass

    def decided(self, seconds: float) -> None:
        pass

    def executions_purged(self, mode: str, count: int) -> None:
        pass
