"""DYNAMIC: a worker task whose definition name is read from the task input at schedule time."""

from __future__ import annotations

from podium.engine.domains import queue_name, resolve_domain
from podium.engine.mappers.base import Mapper, Run
from podium.engine.mappers.control import UnsupportedTask
from podium.engine.plan import Node
from podium.model.definitions import TaskDef
from podium.model.executions import Task

__all__ = ["DynamicMapper"]


class DynamicMapper(Mapper):
    """Becomes a worker task of the named (registered) definition."""

    def on_create(self, run: Run, node: Node, task: Task) -> None:
        param = node.wt.dynamicTaskNameParam or "taskToExecute"
        name = task.inputData.get(param)
        if not name:
            raise UnsupportedTask(
                "Cannot map a dynamic task based on the parameter and input. "
                f"Parameter= {param}, input= {task.inputData}"
            )
        registered = run.index.task_def(str(name))
        if registered is None:
            raise UnsupportedTask(
                f"Invalid task specified. Cannot find task by name {name} in the task definitions"
            )
        td = TaskDef.model_validate(registered)
        task.taskType = task.taskDefName = str(name)
        task.workflowTask = {
            **node.wt_json,
            "name": str(name),
            "type": "SIMPLE",
            "taskDefinition": td.to_json(),
        }
        task.responseTimeoutSeconds = td.responseTimeoutSeconds
        task.rateLimitPerFrequency = td.rateLimitPerFrequency or 0
        task.rateLimitFrequencyInSeconds = td.rateLimitFrequencyInSeconds or 1
        task.domain = resolve_domain(task.taskType, run.wf.taskToDomain, run.ctx.is_domain_active)
        queue = queue_name(task.taskType, task.domain, td.executionNameSpace, td.isolationGroupId)
        run.enqueue(task, queue, task.callbackAfterSeconds)
