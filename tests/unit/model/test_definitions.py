"""Parsing and serialising of TaskDef, WorkflowDef and WorkflowTask (podium.model.definitions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from podium.model.definitions import (
    RetryLogic,
    SubWorkflowParams,
    TaskDef,
    TimeoutPolicy,
    WorkflowDef,
    WorkflowTask,
)

FIXTURES = Path(__file__).resolve().parents[3].parent / "shared/fixtures/conductor-oss/test-harness"


def _fixture_defs() -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for file in sorted(FIXTURES.glob("*.json")):
        try:
            data = json.loads(file.read_text())
        except ValueError:
            continue  # input.json is a payload, not JSON we parse
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and "tasks" in item:
                found.append((file.name, item))
    return found


FIXTURE_DEFS = _fixture_defs()


def _count_tasks(tasks: list[dict[str, Any]]) -> int:
    total = 0
    for task in tasks:
        total += 1
        for branch in task.get("decisionCases", {}).values():
            total += _count_tasks(branch)
        total += _count_tasks(task.get("defaultCase") or [])
        for fork in task.get("forkTasks") or []:
            total += _count_tasks(fork)
        total += _count_tasks(task.get("loopOver") or [])
    return total


def test_task_def_defaults_are_conductors() -> None:
    td = TaskDef.model_validate({"name": "reg_task", "enforceSchema": False})
    assert td.retryCount == 3
    assert td.timeoutPolicy is TimeoutPolicy.TIME_OUT_WF
    assert td.retryLogic is RetryLogic.FIXED
    assert td.retryDelaySeconds == 60
    assert td.backoffScaleFactor == 1
    assert td.responseTimeoutSeconds == 3600
    assert td.timeoutSeconds == 0
    assert td.taskStatusListenerEnabled is True
    assert td.inputTemplate == {}


def test_task_def_json_carries_rate_limit_defaults_and_omits_nulls() -> None:
    out = TaskDef(name="t").to_json()
    assert out["rateLimitPerFrequency"] == 0
    assert out["rateLimitFrequencyInSeconds"] == 1
    assert out["timeoutPolicy"] == "TIME_OUT_WF"
    assert out["inputKeys"] == []
    assert "description" not in out
    assert "concurrentExecLimit" not in out


def test_nulls_yield_defaults() -> None:
    td = TaskDef.model_validate(
        {"name": "t", "retryCount": None, "timeoutPolicy": None, "inputTemplate": None}
    )
    assert td.retryCount == 3
    assert td.timeoutPolicy is TimeoutPolicy.TIME_OUT_WF
    assert td.inputTemplate == {}
    wf = WorkflowDef.model_validate({"name": "w", "version": None, "tasks": None})
    assert wf.version == 1
    assert wf.tasks == []


def test_unknown_properties_are_ignored() -> None:
    wf = WorkflowDef.model_validate(
        {"name": "w", "tasks": [{"name": "a", "taskReferenceName": "a", "bogus": 1}], "x": {}}
    )
    assert "x" not in wf.to_json()
    assert "bogus" not in wf.tasks[0].to_json()


def test_workflow_def_defaults() -> None:
    wf = WorkflowDef.model_validate({"name": "w"})
    assert (wf.version, wf.schemaVersion, wf.timeoutSeconds) == (1, 2, 0)
    assert wf.restartable is True
    assert wf.timeoutPolicy is TimeoutPolicy.ALERT_ONLY
    assert wf.workflowStatusListenerEnabled is False
    assert wf.failureWorkflowVersion is None
    assert wf.ownerEmail is None
    assert wf.key == "w.1"


def test_workflow_timeout_policy_refuses_retry() -> None:
    with pytest.raises(ValidationError, match="RETRY is not allowed for a workflow"):
        WorkflowDef.model_validate({"name": "w", "timeoutPolicy": "RETRY"})


@pytest.mark.parametrize("blank", ["", "  "])
def test_blank_failure_workflow_means_none(blank: str) -> None:
    wf = WorkflowDef.model_validate({"name": "w", "failureWorkflow": blank})
    assert wf.failureWorkflow is None
    assert "failureWorkflow" not in wf.to_json()


def test_workflow_task_defaults_and_missing_type_is_simple() -> None:
    task = WorkflowTask.model_validate({"name": "a", "taskReferenceName": "a_ref"})
    assert task.type == "SIMPLE"
    assert task.optional is False
    assert task.startDelay == 0
    assert task.retryCount is None
    assert task.inputParameters == {}
    assert WorkflowTask.model_validate({"name": "a", "type": ""}).type == "SIMPLE"
    assert WorkflowTask.model_validate({"name": "a", "type": "MY_TYPE"}).type == "MY_TYPE"


def test_workflow_task_json_omits_empty_nested_lists_like_conductor() -> None:
    out = WorkflowTask(name="a", taskReferenceName="a").to_json()
    for key in ("decisionCases", "defaultCase", "forkTasks", "joinOn", "loopOver"):
        assert key not in out
    assert out["inputParameters"] == {}
    joined = WorkflowTask(name="j", taskReferenceName="j", type="JOIN", joinOn=["a"]).to_json()
    assert joined["joinOn"] == ["a"]


def test_nulls_inside_free_form_maps_are_kept() -> None:
    task = WorkflowTask.model_validate({"name": "a", "inputParameters": {"x": None}})
    assert task.to_json()["inputParameters"] == {"x": None}


def test_inline_task_definition_is_a_task_def() -> None:
    task = WorkflowTask.model_validate(
        {"name": "a", "taskDefinition": {"name": "a", "retryCount": 0}}
    )
    assert isinstance(task.taskDefinition, TaskDef)
    assert task.taskDefinition.retryCount == 0
    assert task.taskDefinition.responseTimeoutSeconds == 3600


def test_sub_workflow_definition_inline_or_expression() -> None:
    inline = SubWorkflowParams.model_validate(
        {"name": "c", "workflowDefinition": {"name": "c", "tasks": [{"name": "x"}]}}
    )
    assert isinstance(inline.workflowDefinition, WorkflowDef)
    assert inline.to_json()["workflowDefinition"]["tasks"][0]["name"] == "x"
    expr = SubWorkflowParams.model_validate({"workflowDefinition": "${workflow.input.def}"})
    assert expr.workflowDefinition == "${workflow.input.def}"
    with pytest.raises(ValidationError, match="not a valid DSL string"):
        SubWorkflowParams.model_validate({"workflowDefinition": "child"})


def _task(ref: str, **extra: Any) -> dict[str, Any]:
    return {"name": ref, "taskReferenceName": ref, **extra}


def test_all_tasks_walks_depth_first_in_definition_order() -> None:
    wf = WorkflowDef.model_validate(
        {
            "name": "w",
            "tasks": [
                _task(
                    "sw",
                    type="SWITCH",
                    decisionCases={"a": [_task("a1"), _task("a2")], "b": [_task("b1")]},
                    defaultCase=[_task("d1")],
                ),
                _task("fork", type="FORK_JOIN", forkTasks=[[_task("f1")], [_task("f2")]]),
                _task("loop", type="DO_WHILE", loopOver=[_task("l1")]),
                _task(
                    "sub",
                    type="SUB_WORKFLOW",
                    subWorkflowParam={"workflowDefinition": {"tasks": [_task("inner")]}},
                ),
                _task("xj", type="EXCLUSIVE_JOIN", defaultExclusiveJoinTask=["a1"]),
            ],
        }
    )
    refs = [t.taskReferenceName for t in wf.all_tasks()]
    assert refs == ["sw", "a1", "a2", "b1", "d1", "fork", "f1", "f2", "loop", "l1", "sub", "xj"]
    found = wf.task_by_ref("f2")
    assert found is not None
    assert found.name == "f2"
    assert wf.task_by_ref("inner") is None


def test_fixture_defs_are_found() -> None:
    assert len(FIXTURE_DEFS) > 50, f"no Conductor fixtures under {FIXTURES}"


@pytest.mark.parametrize(("file", "data"), FIXTURE_DEFS, ids=[f for f, _ in FIXTURE_DEFS])
def test_fixture_round_trips_with_all_its_tasks(file: str, data: dict[str, Any]) -> None:
    wf = WorkflowDef.model_validate(data)
    out = wf.to_json()
    assert out["name"] == data["name"]
    assert _count_tasks(out["tasks"]) == _count_tasks(data["tasks"]) == len(list(wf.all_tasks()))
    again = WorkflowDef.model_validate(out)
    assert again.to_json() == out


def test_default_maps_and_lists_are_not_shared() -> None:
    first, second = WorkflowTask(name="a"), WorkflowTask(name="b")
    first.inputParameters["k"] = 1
    first.joinOn.append("x")
    assert second.inputParameters == {}
    assert second.joinOn == []
