"""What the decider may read of a workflow's other tasks, without loading them all.

The decider is pure: when it needs a task it was not given, it raises `NeedTasks`; the service
loads those tasks and decides again. Reloading is cheap because deciding has no side effects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from podium.model.executions import Task, Workflow

__all__ = ["NeedTasks", "ParamDoc", "TaskIndex"]


class NeedTasks(Exception):
    """The decider needs these tasks (by reference name), or every task when `everything`."""

    def __init__(
        self,
        refs: Iterable[str] = (),
        *,
        everything: bool = False,
        task_defs: Iterable[str] = (),
    ) -> None:
        super().__init__("decider needs more tasks")
        self.refs = frozenset(refs)
        self.everything = everything
        self.task_defs = frozenset(task_defs)
        """Registered task definitions (by name) it needs, e.g. for a DYNAMIC task."""


class TaskIndex:
    """The newest attempt per reference name among the tasks loaded so far."""

    def __init__(
        self,
        latest: Mapping[str, Task] | None = None,
        absent: Iterable[str] = (),
        all_tasks: list[Task] | None = None,
        task_defs: Mapping[str, dict[str, Any] | None] | None = None,
    ) -> None:
        self.task_defs: dict[str, dict[str, Any] | None] = dict(task_defs or {})
        """Registered task definitions loaded so far (None: not registered)."""
        self.latest_by_ref: dict[str, Task] = dict(latest or {})
        self.absent: set[str] = set(absent)
        self.all_tasks = all_tasks
        if all_tasks is not None:
            for task in all_tasks:
                self.latest_by_ref[task.ref_base] = task

    def require(self, refs: Iterable[str]) -> None:
        """Raise NeedTasks unless every named reference is loaded (or known absent)."""
        if self.all_tasks is not None:
            return
        if "*" in refs:
            raise NeedTasks(everything=True)
        missing = {r for r in refs if r not in self.latest_by_ref and r not in self.absent}
        if missing:
            raise NeedTasks(missing)

    def latest(self, ref: str) -> Task | None:
        self.require((ref,))
        return self.latest_by_ref.get(ref)

    def task_def(self, name: str) -> dict[str, Any] | None:
        """The registered task definition `name` (None when there is none)."""
        if name not in self.task_defs:
            raise NeedTasks(task_defs=(name,))
        return self.task_defs[name]

    def everything(self) -> list[Task]:
        if self.all_tasks is None:
            raise NeedTasks(everything=True)
        return self.all_tasks

    def note(self, task: Task) -> None:
        """Record a task created or changed by the running decision (it is the newest)."""
        self.latest_by_ref[task.ref_base] = task
        self.absent.discard(task.ref_base)
        if self.all_tasks is not None:
            for i, known in enumerate(self.all_tasks):
                if known.taskId == task.taskId:
                    self.all_tasks[i] = task
                    return
            self.all_tasks.append(task)


def workflow_doc(wf: Workflow, schema_version: int = 2) -> dict[str, Any]:
    return {
        "input": wf.input,
        "output": wf.output,
        "status": wf.status.value,
        "workflowId": wf.workflowId,
        "parentWorkflowId": wf.parentWorkflowId,
        "parentWorkflowTaskId": wf.parentWorkflowTaskId,
        "workflowType": wf.workflowName,
        "version": wf.workflowVersion,
        "correlationId": wf.correlationId,
        "reasonForIncompletion": wf.reasonForIncompletion,
        "schemaVersion": schema_version,
        "variables": wf.variables,
    }


def task_doc(t: Task) -> dict[str, Any]:
    return {
        "input": t.inputData,
        "output": t.outputData,
        "taskType": t.taskType,
        "status": t.status.value,
        "referenceTaskName": t.referenceTaskName,
        "retryCount": t.retryCount,
        "correlationId": t.correlationId,
        "pollCount": t.pollCount,
        "taskDefName": t.taskDefName,
        "scheduledTime": t.scheduledTime,
        "startTime": t.startTime,
        "endTime": t.endTime,
        "workflowInstanceId": t.workflowInstanceId,
        "taskId": t.taskId,
        "reasonForIncompletion": t.reasonForIncompletion,
        "callbackAfterSeconds": t.callbackAfterSeconds,
        "workerId": t.workerId,
        "iteration": t.iteration,
    }


class ParamDoc(Mapping[str, Any]):
    """The document `${...}` expressions read: `workflow` and one entry per task reference."""

    def __init__(self, workflow: Workflow, tasks: TaskIndex) -> None:
        self._workflow = workflow
        self._tasks = tasks

    def __getitem__(self, key: str) -> Any:
        if key == "workflow":
            return workflow_doc(self._workflow)
        task = self._tasks.latest(key)
        if task is None:
            raise KeyError(key)
        return task_doc(task)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __iter__(self) -> Iterator[str]:
        tasks = self._tasks.everything()
        return iter(["workflow", *dict.fromkeys(t.ref_base for t in tasks)])

    def __len__(self) -> int:
        return len(list(iter(self)))
