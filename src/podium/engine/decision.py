"""What one run of the decider wants done: the service applies it in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from podium.engine.lookup import TaskIndex
from podium.engine.plan import Plan
from podium.model.executions import HistoryEvent, QueueEntry, Task, Workflow
from podium.model.statuses import WorkflowStatus

__all__ = ["DecideContext", "Decision", "FailureWorkflowStart", "Termination"]


def _never_active(_task_type: str, _domain: str) -> bool:
    return False


def _no_jitter() -> float:
    return 0.0


@dataclass(slots=True)
class DecideContext:
    """Everything a decision may read: no clock, no randomness and no I/O beyond this."""

    workflow: Workflow
    plan: Plan
    pending: list[Task]
    tasks: TaskIndex
    now: int
    new_id: Callable[[], str]
    jitter: Callable[[], float] = _no_jitter
    is_domain_active: Callable[[str, str], bool] = _never_active
    env: Mapping[str, str] = field(default_factory=dict)
    actor: str = "decider"
    node: str = ""
    terminate: Termination | None = None
    """An operator's terminate: end the workflow instead of deciding."""
    retry: list[Task] = field(default_factory=list)
    """An operator's retry: schedule a new attempt of each of these (no delay)."""


@dataclass(frozen=True, slots=True)
class Termination:
    """End a workflow on request, with this status and reason."""

    status: WorkflowStatus
    reason: str | None
    trigger_failure_workflow: bool = False


@dataclass(frozen=True, slots=True)
class FailureWorkflowStart:
    """The failure workflow to start because this execution failed."""

    name: str
    version: int | None
    input: dict[str, Any]


@dataclass(slots=True)
class Decision:
    """New and changed tasks, queue changes, history, and the workflow's new state."""

    workflow: Workflow
    new_tasks: list[Task] = field(default_factory=list)
    changed: dict[str, Task] = field(default_factory=dict)
    queue: list[QueueEntry] = field(default_factory=list)
    unqueue: list[str] = field(default_factory=list)
    history: list[HistoryEvent] = field(default_factory=list)
    check_at: dict[str, int] = field(default_factory=dict)
    prune: list[tuple[tuple[str, ...], int]] = field(default_factory=list)
    """Loop-body refs whose attempts up to an iteration are removed (DO_WHILE keepLastN)."""
    failure_workflow: FailureWorkflowStart | None = None
    ended: bool = False
