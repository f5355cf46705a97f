"""Request bodies of the workflow and task APIs (podium.model.requests)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from podium.model.definitions import IdempotencyStrategy, WorkflowDef
from podium.model.requests import (
    RerunWorkflowRequest,
    SkipTaskRequest,
    StartWorkflowRequest,
    TaskExecLog,
    TaskResult,
    TaskResultStatus,
)
from podium.model.statuses import TaskStatus


def test_start_request_defaults() -> None:
    req = StartWorkflowRequest.model_validate({"name": "w", "input": None, "priority": None})
    assert req.version is None
    assert req.input == {}
    assert req.taskToDomain == {}
    assert req.priority == 0
    assert req.workflowDef is None
    assert req.to_json() == {"name": "w", "input": {}, "taskToDomain": {}, "priority": 0}


def test_start_request_embeds_a_workflow_def() -> None:
    req = StartWorkflowRequest.model_validate(
        {
            "name": "w",
            "workflowDef": {"name": "w", "tasks": [{"name": "a", "taskReferenceName": "a"}]},
            "idempotencyStrategy": "RETURN_EXISTING",
            "taskToDomain": {"*": "blue"},
        }
    )
    assert isinstance(req.workflowDef, WorkflowDef)
    assert req.workflowDef.tasks[0].type == "SIMPLE"
    assert req.idempotencyStrategy is IdempotencyStrategy.RETURN_EXISTING
    assert req.taskToDomain == {"*": "blue"}


@pytest.mark.parametrize("priority", [0, 99])
def test_start_request_priority_bounds_accepted(priority: int) -> None:
    assert StartWorkflowRequest(name="w", priority=priority).priority == priority


@pytest.mark.parametrize(
    ("priority", "message"),
    [(-1, "priority: -1 should be minimum 0"), (100, "priority: 100 should be maximum 99")],
)
def test_start_request_priority_out_of_range(priority: int, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        StartWorkflowRequest.model_validate({"name": "w", "priority": priority})


def test_task_result_as_the_python_sdk_sends_it() -> None:
    body = {
        "workflowInstanceId": "wf-1",
        "taskId": "greet-task-0",
        "workerId": "vm",
        "status": "COMPLETED",
        "outputData": {"greeting": "Hello world"},
        "logs": [{"log": "hello", "taskId": "greet-task-0", "createdTime": 1795770963411}],
        "extendLease": False,
        "newSdkField": 1,
    }
    result = TaskResult.model_validate(body)
    assert result.status is TaskResultStatus.COMPLETED
    assert result.status.task_status is TaskStatus.COMPLETED
    assert result.callbackAfterSeconds == 0
    assert result.logs == [
        TaskExecLog(log="hello", taskId="greet-task-0", createdTime=1795770963411)
    ]
    out = result.to_json()
    assert "newSdkField" not in out
    assert out["status"] == "COMPLETED"
    assert out["logs"][0]["createdTime"] == 1795770963411


def test_task_result_lease_extension_body() -> None:
    result = TaskResult.model_validate(
        {"workflowInstanceId": "w", "taskId": "t", "status": "IN_PROGRESS", "extendLease": True}
    )
    assert result.extendLease is True
    assert result.outputData == {}
    assert result.workerId is None


def test_task_result_failure_from_an_sdk_exception() -> None:
    result = TaskResult.model_validate(
        {
            "workflowInstanceId": "w",
            "taskId": "t",
            "status": "FAILED",
            "reasonForIncompletion": 42,
            "outputData": {"result": None},
            "logs": [{"log": ["Traceback"], "taskId": "t", "createdTime": 1795770963}],
        }
    )
    assert result.reasonForIncompletion == "42"
    assert result.outputData == {"result": None}
    assert result.logs[0].log == "['Traceback']"
    assert result.logs[0].createdTime == 1795770963000


def test_task_result_reason_is_cut_to_500_characters() -> None:
    result = TaskResult(workflowInstanceId="w", taskId="t", reasonForIncompletion="x" * 600)
    assert result.reasonForIncompletion == "x" * 500
    parsed = TaskResult.model_validate({"reasonForIncompletion": "y" * 501})
    assert parsed.reasonForIncompletion == "y" * 500


def test_task_result_status_list_is_conductors() -> None:
    assert [s.value for s in TaskResultStatus] == [
        "IN_PROGRESS",
        "FAILED",
        "FAILED_WITH_TERMINAL_ERROR",
        "COMPLETED",
        "CANCELED",
    ]
    with pytest.raises(ValidationError):
        TaskResult.model_validate({"status": "SCHEDULED"})


def test_task_result_callback_seconds_may_be_fractional() -> None:
    result = TaskResult.model_validate({"callbackAfterSeconds": 5.7})
    assert result.callbackAfterSeconds == 5


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        (1795770963, 1795770963000),
        (1795770963.5, 1795770963500),
        (1795770963411, 1795770963411),
        ("1795770963411", 1795770963411),
        (None, 0),
    ],
)
def test_log_created_time_is_epoch_ms(created: object, expected: int) -> None:
    assert TaskExecLog.model_validate({"log": "x", "createdTime": created}).createdTime == expected


def test_skip_task_request_defaults() -> None:
    skip = SkipTaskRequest.model_validate({})
    assert (skip.taskInput, skip.taskOutput) == ({}, {})
    assert SkipTaskRequest.model_validate({"taskOutput": {"a": 1}}).taskOutput == {"a": 1}


def test_rerun_request_leaves_absent_inputs_none() -> None:
    rerun = RerunWorkflowRequest.model_validate({"reRunFromTaskId": "t1", "workflowInput": None})
    assert rerun.reRunFromTaskId == "t1"
    assert rerun.workflowInput is None
    assert rerun.taskInput is None
    assert rerun.to_json() == {"reRunFromTaskId": "t1"}
    given = RerunWorkflowRequest.model_validate({"workflowInput": {}, "correlationId": "c"})
    assert given.workflowInput == {}
