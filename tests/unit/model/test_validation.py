"""Parsing with Conductor's validation messages (podium.model.validation)."""

from __future__ import annotations

from typing import Any

import pytest

from podium.errors import BadRequest, ValidationFailed
from podium.model.definitions import TaskDef, WorkflowDef
from podium.model.requests import StartWorkflowRequest, TaskResult
from podium.model.validation import (
    parse_model,
    parse_task_def,
    parse_workflow_def,
    validate_task_def,
    validate_workflow_def,
)


def _task(ref: str, **extra: Any) -> dict[str, Any]:
    return {"name": ref, "taskReferenceName": ref, **extra}


def _messages(exc: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [v.message for v in exc.value.violations]


def test_sdk_bare_workflow_def_fails_for_its_empty_task_list() -> None:
    bare = {"name": "x", "version": 1, "tasks": [], "outputParameters": {}, "enforceSchema": False}
    with pytest.raises(ValidationFailed) as exc:
        parse_workflow_def(bare)
    assert _messages(exc) == ["WorkflowTask list cannot be empty"]
    assert exc.value.violations[0].path == "workflowDef.tasks"


def test_sdk_bare_task_def_is_accepted() -> None:
    td = parse_task_def({"name": "reg_task", "enforceSchema": False})
    assert td.name == "reg_task"
    assert td.retryCount == 3


def test_sdk_dsl_workflow_def_is_accepted() -> None:
    wf = parse_workflow_def(
        {
            "name": "greetings",
            "version": 1,
            "tasks": [_task("greet", inputParameters={"name": "${workflow.input.name}"})],
            "inputParameters": [],
            "outputParameters": {},
            "failureWorkflow": "",
            "schemaVersion": 2,
            "workflowStatusListenerEnabled": False,
            "timeoutSeconds": 60,
            "variables": {},
            "inputTemplate": {},
            "enforceSchema": False,
        }
    )
    assert wf.failureWorkflow is None
    assert wf.tasks[0].type == "SIMPLE"


def test_workflow_def_without_name() -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_workflow_def({"tasks": [_task("a")]})
    assert _messages(exc) == ["WorkflowDef name cannot be null or empty"]


def test_all_violations_are_collected() -> None:
    data = {"name": "", "schemaVersion": 1, "tasks": [{"type": "SIMPLE"}]}
    with pytest.raises(ValidationFailed) as exc:
        parse_workflow_def(data)
    assert _messages(exc) == [
        "WorkflowDef name cannot be null or empty",
        "workflowDef schemaVersion: 2 is only supported",
        "WorkflowTask name cannot be empty or null",
        "WorkflowTask taskReferenceName name cannot be empty or null",
    ]
    assert exc.value.violations[2].path == "workflowDef.tasks[0].name"


def test_duplicate_refs_are_found_at_any_depth() -> None:
    data = {
        "name": "w",
        "tasks": [
            _task("a"),
            _task("fork", type="FORK_JOIN", forkTasks=[[_task("a")], [_task("b")]]),
            _task("join", type="JOIN", joinOn=["a", "b"]),
        ],
    }
    with pytest.raises(ValidationFailed) as exc:
        parse_workflow_def(data)
    assert _messages(exc) == [
        "taskReferenceName: a should be unique across tasks for a given workflowDefinition: w"
    ]


def test_nested_task_paths_name_their_branch() -> None:
    data = {
        "name": "w",
        "tasks": [
            _task(
                "sw",
                type="SWITCH",
                evaluatorType="value-param",
                expression="x",
                decisionCases={"yes": [_task("ok"), {"name": "n"}]},
            )
        ],
    }
    with pytest.raises(ValidationFailed) as exc:
        parse_workflow_def(data)
    [violation] = exc.value.violations
    assert violation.path == "workflowDef.tasks[0].decisionCases.yes[1].taskReferenceName"


def test_undefined_task_reference_in_input_parameters() -> None:
    data = {"name": "w", "tasks": [_task("a", inputParameters={"k": "x ${nope.output.y}"})]}
    with pytest.raises(ValidationFailed) as exc:
        parse_workflow_def(data)
    assert _messages(exc) == [
        "taskReferenceName: nope for given task: a input value: k of input parameter: "
        "x ${nope.output.y} is not defined in workflow definition."
    ]


def test_pydantic_errors_become_readable_violations() -> None:
    data = {"name": "w", "version": "one", "tasks": [_task("a", startDelay="soon")]}
    with pytest.raises(ValidationFailed) as exc:
        parse_workflow_def(data)
    assert [(v.path, v.message) for v in exc.value.violations] == [
        ("workflowDef.version", 'version must be an integer (got "one")'),
        ("workflowDef.tasks[0].startDelay", 'tasks[0].startDelay must be an integer (got "soon")'),
    ]
    assert exc.value.violations[0].invalid_value == "one"


def test_enum_and_inline_definition_errors() -> None:
    data = {
        "name": "w",
        "tasks": [
            _task(
                "s",
                type="SUB_WORKFLOW",
                subWorkflowParam={"workflowDefinition": {"tasks": "none"}},
            )
        ],
        "timeoutPolicy": "SOMETIMES",
    }
    with pytest.raises(ValidationFailed) as exc:
        parse_workflow_def(data)
    assert [v.path for v in exc.value.violations] == [
        "workflowDef.tasks[0].subWorkflowParam.workflowDefinition.tasks",
        "workflowDef.timeoutPolicy",
    ]
    assert "must be one of 'RETRY', 'TIME_OUT_WF' or 'ALERT_ONLY'" in _messages(exc)[1]


def test_a_body_that_is_not_an_object_is_a_bad_request() -> None:
    with pytest.raises(BadRequest, match="workflowDef must be a JSON object, not an array"):
        parse_workflow_def([{"name": "w"}])
    with pytest.raises(BadRequest, match="taskResult must be a JSON object, not null"):
        parse_model(TaskResult, None)


def test_path_prefix_for_list_items() -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_task_def({"name": ""}, path="taskDefs[3]")
    assert exc.value.violations[0].path == "taskDefs[3].name"


def test_task_def_without_name() -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_task_def({"retryCount": 1})
    assert _messages(exc) == ["TaskDef name cannot be null or empty"]


def test_task_def_numeric_constraints() -> None:
    data = {
        "name": "task1",
        "retryCount": -1,
        "timeoutSeconds": 1000,
        "responseTimeoutSeconds": 1001,
        "backoffScaleFactor": 0,
        "pollTimeoutSeconds": -5,
    }
    with pytest.raises(ValidationFailed) as exc:
        parse_task_def(data)
    assert _messages(exc) == [
        "TaskDef retryCount: 0 must be >= 0",
        "TaskDef pollTimeoutSeconds: 0 must be >= 0",
        "Backoff scale factor. Applicable for LINEAR_BACKOFF",
        "TaskDef: task1 responseTimeoutSeconds: 1001 must be less than timeoutSeconds: 1000",
    ]


def test_task_def_response_timeout_minimum() -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate_task_def(TaskDef(name="t", responseTimeoutSeconds=0))
    assert _messages(exc) == ["TaskDef responseTimeoutSeconds: 0 should be minimum 1 second"]


def test_task_def_total_timeout() -> None:
    td = TaskDef(
        name="test-task", timeoutSeconds=1000, totalTimeoutSeconds=900, responseTimeoutSeconds=1
    )
    with pytest.raises(ValidationFailed) as exc:
        validate_task_def(td)
    assert _messages(exc) == [
        "TaskDef: test-task timeoutSeconds: 1000 must be less than or equal to "
        "totalTimeoutSeconds: 900"
    ]


@pytest.mark.parametrize(
    "td",
    [
        TaskDef(name="t", timeoutSeconds=0, responseTimeoutSeconds=9999),
        TaskDef(name="t", timeoutSeconds=500, responseTimeoutSeconds=500),
        TaskDef(name="t", timeoutSeconds=1000, totalTimeoutSeconds=0, responseTimeoutSeconds=10),
    ],
)
def test_task_def_timeouts_that_conductor_accepts(td: TaskDef) -> None:
    validate_task_def(td)


def test_validate_workflow_def_accepts_a_valid_model() -> None:
    validate_workflow_def(WorkflowDef.model_validate({"name": "w", "tasks": [_task("a")]}))


def test_start_request_needs_a_name_and_a_valid_inline_def() -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_model(StartWorkflowRequest, {"workflowDef": {"name": "w", "tasks": []}})
    assert [(v.path, v.message) for v in exc.value.violations] == [
        ("startWorkflowRequest.name", "Workflow name cannot be null or empty"),
        ("startWorkflowRequest.workflowDef.tasks", "WorkflowTask list cannot be empty"),
    ]


def test_start_request_priority_is_a_violation() -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_model(StartWorkflowRequest, {"name": "w", "priority": 100})
    assert [(v.path, v.message) for v in exc.value.violations] == [
        ("startWorkflowRequest.priority", "priority: 100 should be maximum 99")
    ]


def test_task_result_needs_workflow_and_task_ids() -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_model(TaskResult, {"workflowInstanceId": "", "status": "COMPLETED"})
    assert _messages(exc) == [
        "Workflow Id cannot be null or empty",
        "Task ID cannot be null or empty",
    ]
    ok = parse_model(TaskResult, {"workflowInstanceId": "w", "taskId": "t", "status": "FAILED"})
    assert ok.taskId == "t"


def test_models_without_checks_only_parse() -> None:
    from podium.model.requests import SkipTaskRequest

    assert parse_model(SkipTaskRequest, {"taskInput": {"a": 1}}).taskInput == {"a": 1}
