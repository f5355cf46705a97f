"""Search-result rows: Conductor's WorkflowSummary and TaskSummary shapes."""

from __future__ import annotations

from datetime import UTC, datetime

from podium.expr.params import java_str
from podium.model.executions import Task, Workflow
from podium.store import JSON

__all__ = ["iso_time", "task_summary", "workflow_summary"]


def iso_time(epoch_ms: int) -> str:
    """`yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` in UTC, as Conductor writes summary times."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def workflow_summary(wf: Workflow) -> JSON:
    input_text = java_str(wf.input)
    output_text = java_str(wf.output)
    out: JSON = {
        "workflowType": wf.workflowName,
        "version": wf.workflowVersion,
        "workflowId": wf.workflowId,
        "startTime": iso_time(wf.createTime),
        "updateTime": iso_time(wf.updateTime),
        "status": wf.status.value,
        "input": input_text,
        "output": output_text,
        "failedReferenceTaskNames": ",".join(wf.failedReferenceTaskNames),
        "failedTaskNames": list(wf.failedTaskNames),
        "priority": wf.priority,
        "taskToDomain": wf.taskToDomain,
        "parentWorkflowId": wf.parentWorkflowId or "",
        "inputSize": len(input_text),
        "outputSize": len(output_text),
    }
    optional = {
        "correlationId": wf.correlationId,
        "reasonForIncompletion": wf.reasonForIncompletion,
        "event": wf.event,
        "createdBy": wf.createdBy,
        "idempotencyKey": wf.idempotencyKey,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    if wf.endTime > 0:
        out["endTime"] = iso_time(wf.endTime)
        out["executionTime"] = wf.endTime - wf.createTime
    return out


def task_summary(task: Task) -> JSON:
    out: JSON = {
        "workflowId": task.workflowInstanceId,
        "workflowType": task.workflowType,
        "correlationId": task.correlationId,
        "scheduledTime": iso_time(task.scheduledTime),
        "startTime": iso_time(task.startTime),
        "updateTime": iso_time(task.updateTime),
        "endTime": iso_time(task.endTime),
        "status": task.status.value,
        "reasonForIncompletion": task.reasonForIncompletion,
        "executionTime": task.endTime - task.startTime if task.endTime and task.startTime else 0,
        "queueWaitTime": task.queue_wait_time(),
        "taskDefName": task.taskDefName,
        "taskType": task.taskType,
        "input": java_str(task.inputData),
        "output": java_str(task.outputData),
        "taskId": task.taskId,
        "workflowPriority": task.workflowPriority,
        "domain": task.domain,
    }
    return {k: v for k, v in out.items() if v is not None}
