"""Tasks run by the server's system-task runner, outside any decision: HTTP, SUB_WORKFLOW...

The decider only queues them on `_sys:<TYPE>`; the runner claims them, does the I/O in no
transaction, and reports the result like a worker does.
"""

from __future__ import annotations

from podium.engine.mappers.base import Mapper, Run
from podium.engine.plan import Node
from podium.model.executions import Task

__all__ = ["SYSTEM_QUEUE_PREFIX", "ExternalMapper", "SubWorkflowMapper", "system_queue"]

SYSTEM_QUEUE_PREFIX = "_sys:"


def system_queue(task_type: str) -> str:
    """The queue the system-task runner reads for a type (never one a worker polls)."""
    return f"{SYSTEM_QUEUE_PREFIX}{task_type}"


class ExternalMapper(Mapper):
    """Queue the SCHEDULED task for the system-task runner."""

    def on_create(self, run: Run, node: Node, task: Task) -> None:
        if node.wt.sink and "sink" not in task.inputData:  # EVENT: Conductor records its sink
            task.inputData = {**task.inputData, "sink": run.resolve(node.wt.sink)}
        run.enqueue(task, system_queue(task.taskType), task.callbackAfterSeconds)


class SubWorkflowMapper(ExternalMapper):
    """Resolve which child to start (name and version may be expressions), then queue it."""

    def on_create(self, run: Run, node: Node, task: Task) -> None:
        param = node.wt.subWorkflowParam
        raw = param.to_json() if param is not None else {}
        definition = raw.pop("workflowDefinition", None)
        params = run.resolve(raw)
        # An inline definition keeps its own expressions; only a "${...}" string is resolved.
        params["workflowDefinition"] = (
            run.resolve(definition) if isinstance(definition, str) else definition
        )
        task.inputData = {
            "subWorkflowName": params.get("name"),
            "subWorkflowVersion": params.get("version"),
            "subWorkflowTaskToDomain": params.get("taskToDomain"),
            "subWorkflowDefinition": params.get("workflowDefinition"),
            "priority": params.get("priority"),
            "idempotencyKey": params.get("idempotencyKey"),
            "idempotencyStrategy": params.get("idempotencyStrategy"),
            "workflowInput": task.inputData,
        }
        super().on_create(run, node, task)
