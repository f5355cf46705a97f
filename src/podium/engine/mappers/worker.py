"""SIMPLE and custom-typed tasks: queued for external workers."""

from __future__ import annotations

from podium.engine.domains import queue_name
from podium.engine.mappers.base import Mapper, Run
from podium.engine.mappers.control import UnsupportedTask
from podium.engine.plan import Node
from podium.model.executions import Task

__all__ = ["WorkerMapper"]


class WorkerMapper(Mapper):
    """Queue the task on `[domain:]type` for workers; custom types need a registered TaskDef."""

    def on_create(self, run: Run, node: Node, task: Task) -> None:
        declared = node.wt.type or "SIMPLE"
        if declared != "SIMPLE" and node.wt.taskDefinition is None:
            raise UnsupportedTask(
                f"Invalid task specified. Cannot find task by name {node.wt.name} "
                "in the task definitions"
            )
        queue = queue_name(
            task.taskType, task.domain, task.executionNameSpace, task.isolationGroupId
        )
        run.enqueue(task, queue, task.callbackAfterSeconds)
