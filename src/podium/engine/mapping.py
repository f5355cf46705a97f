"""Turning a WorkflowTask of the definition into a new task attempt (worker tasks)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podium.engine.decision import DecideContext
from podium.engine.domains import resolve_domain
from podium.engine.plan import Node
from podium.engine.taskdefs import is_worker_type
from podium.expr.params import resolve_params
from podium.model.executions import Task, Workflow
from podium.model.statuses import TaskStatus

__all__ = ["new_task", "resolve_input", "task_type_of"]


def task_type_of(node: Node, mapped: str | None = None) -> str:
    """SIMPLE tasks are queued under their name; other types under their (mapped) type."""
    declared = node.wt.type or "SIMPLE"
    if declared == "SIMPLE":
        return node.wt.name
    return mapped or declared


# Conductor names these tasks after their type rather than their definition name.
_DEF_NAME_IS_TYPE = frozenset({"FORK", "JOIN", "DECISION", "SWITCH", "EXCLUSIVE_JOIN"})


def new_task(
    ctx: DecideContext, wf: Workflow, node: Node, previous: Task | None, mapped: str | None
) -> Task:
    """A new SCHEDULED attempt (a retry when `previous` is given); its mapper does the rest."""
    td, wt, now = node.td, node.wt, ctx.now
    task_type = task_type_of(node, mapped)
    worker = is_worker_type(wt.type or "SIMPLE")
    if previous is not None:
        domain = previous.domain
    elif worker:
        domain = resolve_domain(task_type, wf.taskToDomain, ctx.is_domain_active)
    else:
        domain = None
    return Task(
        taskId=ctx.new_id(),
        workflowInstanceId=wf.workflowId,
        taskType=task_type,
        referenceTaskName=wt.taskReferenceName,
        status=TaskStatus.SCHEDULED,
        taskDefName=task_type if task_type in _DEF_NAME_IS_TYPE else wt.name,
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
