"""Fixtures that evaluate code: DO_WHILE loop conditions, LAMBDA, JSON_JQ_TRANSFORM, TERMINATE,
and the legacy DECISION (test-harness files registered unchanged)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .drive import JSON, complete, poll, poll_none, start, wait_for, work, workflow
from .test_fixtures import harness, load, terminal

__all__ = ["harness"]


def finished(client: TestClient, wf_id: str) -> JSON:
    return wait_for(lambda: terminal(client, wf_id), what=f"workflow {wf_id} to end")


def test_do_while_with_a_fork_inside_runs_the_asked_number_of_iterations(
    harness: TestClient,
) -> None:
    """do_while_integration_test.json: each iteration runs task_0 then a fork of task_1 and
    task_2 joined; refs carry `__<iteration>`; loopCondition `$.loopTask['iteration'] < $.value`."""
    load(harness, "do_while_integration_test.json")
    wf_id = start(harness, "Do_While_Workflow", input={"loop": 2})
    for _ in range(2):
        work(harness, "integration_task_0")
        work(harness, "integration_task_1")
        work(harness, "integration_task_2")
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    refs = [t["referenceTaskName"] for t in wf["tasks"]]
    assert "integration_task_0__1" in refs
    assert "integration_task_0__2" in refs
    assert "join__2" in refs
    loop = wf["tasks"][0]
    assert (loop["taskType"], loop["status"]) == ("DO_WHILE", "COMPLETED")
    assert loop["outputData"]["iteration"] == 2
    assert set(loop["outputData"]["1"]) >= {"integration_task_0", "fork", "join"}


def test_lambda_returns_its_result(harness: TestClient) -> None:
    """simple_lambda_workflow_integration_test.json: `return {testvalue: true}` when a == 1."""
    load(harness, "simple_lambda_workflow_integration_test.json")
    wf = finished(harness, start(harness, "test_lambda_wf", input={"a": 1}))
    assert wf["status"] == "COMPLETED"
    assert wf["tasks"][0]["outputData"] == {"result": {"testvalue": True}}


def test_jq_transform_merges_arrays(harness: TestClient) -> None:
    """simple_json_jq_transform_integration_test.json: result and resultList of a jq query."""
    load(harness, "simple_json_jq_transform_integration_test.json")
    given = {"in1": {"array": ["a", "b"]}, "in2": {"array": ["c", "d"]}}
    wf = finished(harness, start(harness, "test_json_jq_transform_wf", input=given))
    assert wf["status"] == "COMPLETED"
    output = wf["tasks"][0]["outputData"]
    assert output["result"] == {"out": ["a", "b", "c", "d"]}
    assert output["resultList"] == [{"out": ["a", "b", "c", "d"]}]


def test_terminate_completed_ends_the_workflow_with_its_output(harness: TestClient) -> None:
    """terminate_task_completed_workflow_integration_test.json: TERMINATE COMPLETED with
    workflowOutput; the task after it never runs."""
    load(harness, "terminate_task_completed_workflow_integration_test.json")
    wf = finished(harness, start(harness, "test_terminate_task_wf", input={"a": 1}))
    assert wf["status"] == "COMPLETED"
    assert wf["output"] == {"result": {"testvalue": True}}
    assert [t["referenceTaskName"] for t in wf["tasks"]] == ["lambda0", "terminate0"]
    poll_none(harness, "integration_task_2")


def test_terminate_failed_fails_the_workflow_with_its_reason(harness: TestClient) -> None:
    """terminate_task_failed_workflow_integration.json: TERMINATE FAILED → workflow FAILED with
    the terminationReason (and its failure workflow asked for)."""
    load(harness, "terminate_task_failed_workflow_integration.json")
    wf = finished(harness, start(harness, "test_terminate_task_failed_wf", input={"a": 1}))
    assert wf["status"] == "FAILED"
    assert wf["reasonForIncompletion"] == "Early exit in terminate"


def test_decision_value_param_and_default(harness: TestClient) -> None:
    """simple_decision_task_integration_test.json: case "c" runs t1 and t2, then t20."""
    load(harness, "simple_decision_task_integration_test.json")
    wf_id = start(harness, "DecisionWorkflow", input={"case": "c"})
    work(harness, "integration_task_1")
    work(harness, "integration_task_2")
    complete(harness, poll(harness, "integration_task_20"))
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert wf["tasks"][0]["outputData"] == {"caseOutput": ["c"]}
    assert workflow(harness, wf_id)["tasks"][-1]["referenceTaskName"] == "t20"
