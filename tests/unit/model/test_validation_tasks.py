"""Type-specific WorkflowTask rules and input references (podium.model.validation_tasks)."""

from __future__ import annotations

from typing import Any

import pytest

from podium.model.definitions import TaskDef, WorkflowDef, WorkflowTask
from podium.model.validation_tasks import input_reference_violations, task_violations


def _messages(task: dict[str, Any], lookup: dict[str, TaskDef] | None = None) -> list[str]:
    parsed = WorkflowTask.model_validate({"name": "t", "taskReferenceName": "t_ref", **task})
    get = lookup.get if lookup is not None else None
    return [v.message for v in task_violations(parsed, "workflowDef.tasks[0]", get)]


def _required(field: str, task_type: str) -> str:
    return f"{field} field is required for taskType: {task_type} taskName: t"


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        ({"type": "EVENT"}, [_required("sink", "EVENT")]),
        ({"type": "DYNAMIC"}, [_required("dynamicTaskNameParam", "DYNAMIC")]),
        ({"type": "SUB_WORKFLOW"}, [_required("subWorkflowParam", "SUB_WORKFLOW")]),
        (
            {"type": "HTTP"},
            [_required("inputParameters.http_request", "HTTP")],
        ),
        (
            {"type": "KAFKA_PUBLISH"},
            [_required("inputParameters.kafka_request", "KAFKA_PUBLISH")],
        ),
        (
            {"type": "JSON_JQ_TRANSFORM"},
            [_required("inputParameters.queryExpression", "JSON_JQ_TRANSFORM")],
        ),
        (
            {"type": "FORK_JOIN"},
            ["forkTasks should have atleast one task for taskType: FORK_JOIN taskName: t"],
        ),
        (
            {"type": "DO_WHILE"},
            [_required("loopCondition", "DO_WHILE"), _required("loopOver", "DO_WHILE")],
        ),
        (
            {"type": "SWITCH"},
            [
                _required("evaluatorType", "SWITCH"),
                "decisionCases should have atleast one task for taskType: SWITCH taskName: t",
            ],
        ),
        (
            {"type": "SWITCH", "evaluatorType": "value-param", "decisionCases": {"a": []}},
            [_required("expression", "SWITCH")],
        ),
        (
            {"type": "DECISION"},
            [
                _required("caseValueParam or caseExpression", "DECISION"),
                "decisionCases should have atleast one task for taskType: DECISION taskName: t",
            ],
        ),
        (
            {"type": "FORK_JOIN_DYNAMIC"},
            [
                _required("dynamicForkTasksParam", "FORK_JOIN_DYNAMIC"),
                _required("dynamicForkTasksInputParamName", "FORK_JOIN_DYNAMIC"),
            ],
        ),
        (
            {
                "type": "FORK_JOIN_DYNAMIC",
                "dynamicForkJoinTasksParam": "dynamicTasks",
                "dynamicForkTasksParam": "x",
            },
            [
                "dynamicForkJoinTasksParam or combination of dynamicForkTasksInputParamName and "
                "dynamicForkTasksParam cam be used for taskType: FORK_JOIN_DYNAMIC taskName: t"
            ],
        ),
        (
            {"type": "TERMINATE", "optional": True, "inputParameters": {"terminationStatus": "X"}},
            [
                "terminate task cannot be optional, taskName: t",
                "terminate task must have an terminationStatus parameter and must be set to "
                "COMPLETED or FAILED, taskName: t",
            ],
        ),
        (
            {"type": "WAIT", "inputParameters": {"duration": "1s", "until": "2030-01-01"}},
            ["Both 'duration' and 'until' specified. Please provide only one input"],
        ),
        (
            {"type": "WAIT", "inputParameters": {"duration": "soon"}},
            ["Either date or duration is passed as null "],
        ),
        (
            {"type": "WAIT", "inputParameters": {"until": "next tuesday"}},
            ["Unable to parse date "],
        ),
        ({"startDelay": -1}, ["must be greater than or equal to 0"]),
    ],
)
def test_rule_violations(task: dict[str, Any], expected: list[str]) -> None:
    assert _messages(task) == expected


@pytest.mark.parametrize(
    "task",
    [
        {"type": "SIMPLE"},
        {"type": "SOME_CUSTOM_TYPE"},
        {"type": "EVENT", "sink": "conductor"},
        {"type": "HTTP", "inputParameters": {"http_request": {"uri": "http://x"}}},
        {"type": "HTTP", "inputParameters": {"uri": "http://x", "method": "GET"}},
        {"type": "HTTP", "taskDefinition": {"name": "t", "inputTemplate": {"http_request": {}}}},
        {"type": "KAFKA_PUBLISH", "inputParameters": {"kafka_request": {}}},
        {"type": "JSON_JQ_TRANSFORM", "inputParameters": {"queryExpression": "."}},
        {"type": "FORK_JOIN_DYNAMIC", "inputParameters": {"forkTaskInputs": []}},
        {"type": "FORK_JOIN_DYNAMIC", "dynamicForkJoinTasksParam": "dynamicTasks"},
        {
            "type": "DO_WHILE",
            "loopOver": [{"name": "b", "taskReferenceName": "b"}],
            "items": "${x}",
        },
        {"type": "TERMINATE", "inputParameters": {"terminationStatus": "TERMINATED"}},
        {"type": "WAIT"},
        {"type": "WAIT", "inputParameters": {"duration": "1 day 2 hours"}},
        {"type": "WAIT", "inputParameters": {"duration": "${workflow.input.d}", "until": ""}},
        {"type": "WAIT", "inputParameters": {"until": "2030-01-01 00:00 UTC"}},
        {"type": "WAIT", "inputParameters": {"until": "${workflow.input.when}"}},
        {
            "type": "SWITCH",
            "evaluatorType": "javascript",
            "expression": "$.x > 1 ? 'a' : 'b'",
            "decisionCases": {"a": []},
        },
    ],
)
def test_tasks_conductor_accepts(task: dict[str, Any]) -> None:
    assert _messages(task) == []


def test_registered_task_def_template_satisfies_http() -> None:
    registered = {"t": TaskDef(name="t", inputTemplate={"http_request": {"uri": "http://x"}})}
    assert _messages({"type": "HTTP"}, registered) == []
    assert _messages({"type": "HTTP"}, {}) == [_required("inputParameters.http_request", "HTTP")]


def _def(*tasks: dict[str, Any]) -> WorkflowDef:
    return WorkflowDef.model_validate({"name": "w", "tasks": list(tasks)})


def _ref_messages(wf: WorkflowDef) -> list[str]:
    return [v.message for v in input_reference_violations(wf, "workflowDef")]


def test_references_to_workflow_system_names_and_nested_refs_are_accepted() -> None:
    wf = _def(
        {
            "name": "a",
            "taskReferenceName": "a",
            "inputParameters": {
                "w": "${workflow.input.x}",
                "id": "${CPEWF_TASK_ID}",
                "later": "${inner.output.y}",
                "quoted": "${inner.output['k.j']}",
                "escaped": "$${nope.output}",
                "nested": "${workflow.input.${workflow.input.key}}",
                "deep": {"list": ["${workflow.variables.v}", {"m": "${a.input}"}]},
                "plain": 5,
            },
        },
        {
            "name": "loop",
            "taskReferenceName": "loop",
            "type": "DO_WHILE",
            "loopCondition": "false",
            "loopOver": [{"name": "inner", "taskReferenceName": "inner"}],
        },
    )
    assert _ref_messages(wf) == []


def test_unknown_reference_reports_innermost_key_and_whole_value() -> None:
    wf = _def(
        {"name": "a", "taskReferenceName": "a", "inputParameters": {"o": {"l": ["${b.output}"]}}}
    )
    assert _ref_messages(wf) == [
        "taskReferenceName: b for given task: a input value: l of input parameter: ${b.output} "
        "is not defined in workflow definition."
    ]


def test_nested_tasks_input_parameters_are_not_checked() -> None:
    wf = _def(
        {
            "name": "f",
            "taskReferenceName": "f",
            "type": "FORK_JOIN",
            "forkTasks": [
                [{"name": "x", "taskReferenceName": "x", "inputParameters": {"k": "${zz.output}"}}]
            ],
        }
    )
    assert _ref_messages(wf) == []
