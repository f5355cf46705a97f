"""What a task-type mapper is, and what it may ask of the running decision.

A mapper gives one task type its behaviour: how a new task of that type is created
(`on_create`), how a live one is re-evaluated on each decision (`execute`), and what follows
once it has succeeded (`after_success`). Mappers are pure like the decider: they read the
decision's state and call back into it, never storage, clock or network.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from podium.engine.decision import DecideContext
from podium.engine.lookup import TaskIndex
from podium.engine.plan import Node, Plan
from podium.model.executions import Task, Workflow
from podium.model.statuses import TaskStatus, WorkflowStatus

__all__ = ["Mapper", "Run"]


class Run(Protocol):
    """The running decision, as mappers see it."""

    ctx: DecideContext
    wf: Workflow
    index: TaskIndex

    @property
    def plan(self) -> Plan: ...

    @property
    def now(self) -> int: ...

    def schedule(self, ref: str, *, iteration: int = 0, previous: Task | None = None) -> Task:
        """Create the next task for a definition reference (with its loop suffix)."""
        ...

    def schedule_dynamic(self, wt_json: Mapping[str, Any], *, iteration: int = 0) -> Task:
        """Create a task for a WorkflowTask that is not in the definition (dynamic forks)."""
        ...

    def schedule_after(self, task: Task, node: Node) -> None:
        """Schedule what follows `node` in the definition, as a plain task would."""
        ...

    def set_status(self, task: Task, status: TaskStatus, reason: str | None = None) -> None:
        """Change a task's status (terminal statuses stamp endTime) and record it."""
        ...

    def revisit(self, task: Task) -> None:
        """Process this task again in the current decision (it changed)."""
        ...

    def enqueue(self, task: Task, queue: str, delay_s: int = 0) -> None:
        """Make the task visible on a queue after `delay_s` seconds."""
        ...

    def end(self, status: WorkflowStatus, reason: str | None, *, failure: bool = True,
            output: dict[str, Any] | None = None) -> None:  # fmt: skip
        """End the workflow (cancelling live tasks)."""
        ...

    def resolve(self, value: Any) -> Any:
        """Resolve `${...}` expressions in a value against the workflow and its tasks."""
        ...

    def prune(self, refs: list[str], up_to_iteration: int) -> None:
        """Remove the attempts of these loop-body refs up to an iteration (keepLastN)."""
        ...


class Mapper:
    """Default behaviour: a task created SCHEDULED, nothing to re-evaluate, plain successor."""

    #: The execution `taskType` of tasks created from this definition type (None: the type).
    task_type: str | None = None
    #: True for JOIN-like tasks: evaluate them after every other pending task of a decision.
    deferred: bool = False
    #: True for control flow that completes at creation (FORK, SWITCH, DECISION): what follows
    #: it is scheduled at once, depth first, so task order matches Conductor's.
    depth_first: bool = False

    def on_create(self, run: Run, node: Node, task: Task) -> None:
        """Fill in a freshly created task (status, output) and schedule what comes with it."""

    def execute(self, run: Run, node: Node, task: Task) -> None:
        """Re-evaluate a live task during a decision (JOIN, DO_WHILE...)."""

    def after_success(self, run: Run, node: Node, task: Task) -> bool:
        """Schedule what follows a successful task; False lets the decider do the default."""
        return False
