"""Turning a WorkflowTask of the definition into a new task attempt (worker tasks)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podium.engine.decision import DecideContext
from podium.engine.domains import resolve_domain
from podium.engine.plan import Node
from podium.engine.taskdefs import SYSTEM_TYPES
from podium.expr.params import resolve_params
from podium.model.executions import Task, Workflow
from podium.model.statuses import TaskStatus

__all__ = ["new_task", "resolve_input", "task_type_of"]


def task_type_of(node: Node) -> str:
    """SIMPLE tasks are queued under their name; custom types under their type."""
    declared = node.wt.type or "SIMPLE"
    return node.wt.name if declared == "SIMPLE" else declared


def _check_supported(node: Node) -> None:
    from podium.engine.decider import UnsupportedTask

    declared = node.wt.type or "SIMPLE"
    if declared in SYSTEM_TYPES:
        raise UnsupportedTask(f"Task type {declared} is not supported by this server yet")
    if declared != "SIMPLE" and node.wt.taskDefinition is None:
        raise UnsupportedTask(
            f"Invalid task specified. Cannot find task by name {node.wt.name} "
            "in the task definitions"
        )


def new_task(ctx: DecideContext, wf: Workflow, node: Node, previous: Task | None) -> Task:
    """A SCHEDULED attempt of a worker task (a retry when `previous` is given)."""
    _check_supported(node)
    td, wt, now = node.td, node.wt, ctx.now
    task_type = task_type_of(node)
    if previous is not None:
        domain = previous.domain
    else:
        domain = resolve_domain(task_type, wf.taskToDomain, ctx.is_domain_active)
    return Task(
        taskId=ctx.new_id(),
        workflowInstanceId=wf.workflowId,
        taskType=task_type,
        referenceTaskName=wt.taskReferenceName,
        status=TaskStatus.SCHEDULED,
        taskDefName=wt.name,
        workflowType=wf.workflowName,
        correlationId=wf.correlationId,
        scheduledTime=now,
        updateTime=now,
        firstScheduledTime=previous.firstScheduledTime if previous else now,
        startDelayInSeconds=wt.startDelay or 0,
        callbackAfterSeconds=wt.startDelay or 0,
        responseTimeoutSeconds=td.responseTimeoutSeconds,
        retryCount=previous.retryCount + 1 if previous else 0,
        retriedTaskId=previous.taskId if previous else None,
        reasonForIncompletion=previous.reasonForIncompletion if previous else None,
        workflowTask=node.wt_json,
        domain=domain,
        rateLimitPerFrequency=td.rateLimitPerFrequency or 0,
        rateLimitFrequencyInSeconds=td.rateLimitFrequencyInSeconds or 1,
        workflowPriority=wf.priority,
        isolationGroupId=td.isolationGroupId,
        executionNameSpace=td.executionNameSpace,
    )


def resolve_input(
    node: Node,
    doc: Mapping[str, Any],
    task_id: str,
    env: Mapping[str, str],
    previous: Task | None,
) -> dict[str, Any]:
    """The task input: inputParameters (with the TaskDef inputTemplate's defaults) resolved.

    Template keys missing from inputParameters are added before evaluation; after evaluation
    a key whose value is null takes the template's raw value. A retry keeps the previous input,
    re-merged with freshly evaluated parameters.
    """
    template = node.td.inputTemplate or {}
    params = {**template, **(node.wt.inputParameters or {})}
    resolved = resolve_params(params, doc, task_id=task_id, env=env)
    for key, value in template.items():
        if resolved.get(key) is None:
            resolved[key] = value
    if previous is not None:
        return {**previous.inputData, **resolved}
    return resolved
