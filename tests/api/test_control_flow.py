"""Conductor's control-flow fixtures (test-harness), registered unchanged and run to the end."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .drive import (
    JSON,
    complete,
    poll,
    poll_none,
    refs_and_statuses,
    start,
    wait_for,
    work,
    workflow,
)
from .test_fixtures import harness, load, terminal

__all__ = ["harness"]


def finished(client: TestClient, wf_id: str) -> JSON:
    return wait_for(lambda: terminal(client, wf_id), what=f"workflow {wf_id} to end")


def test_switch_value_param_runs_the_matching_branch_then_the_next_task(
    harness: TestClient,
) -> None:
    """simple_switch_task_integration_test.json: case "c" runs t1, t2, then the task after."""
    load(harness, "simple_switch_task_integration_test.json")
    wf_id = start(harness, "SwitchWorkflow", input={"case": "c", "param1": "p1", "param2": "p2"})
    first = work(harness, "integration_task_1")
    assert first["inputData"] == {"p1": "p1", "p2": "p2"}
    work(harness, "integration_task_2")
    poll_none(harness, "integration_task_5")
    after = refs_and_statuses(workflow(harness, wf_id))
    assert after[0] == ("switchTask", "COMPLETED")
    switch = workflow(harness, wf_id)["tasks"][0]
    assert switch["outputData"] == {"evaluationResult": ["c"], "selectedCase": "c"}
    assert switch["taskType"] == "SWITCH"


def test_switch_default_case_when_no_case_matches(harness: TestClient) -> None:
    """simple_switch_task_integration_test.json: an unknown case takes defaultCase (t5)."""
    load(harness, "simple_switch_task_integration_test.json")
    wf_id = start(harness, "SwitchWorkflow", input={"case": "zzz"})
    work(harness, "integration_task_5")
    tasks = workflow(harness, wf_id)["tasks"]
    assert tasks[0]["outputData"]["selectedCase"] == "zzz"
    assert [t["referenceTaskName"] for t in tasks][:2] == ["switchTask", "t5"]


def test_fork_join_waits_for_both_branches(harness: TestClient) -> None:
    """fork_join_integration_test.json: t1->t3 and t2 run in parallel; the JOIN waits for t3
    and t2, then t4 runs."""
    load(harness, "fork_join_integration_test.json")
    wf_id = start(harness, "FanInOutTest", input={"param1": "a", "param2": "b"})
    t1, t2 = poll(harness, "integration_task_1"), poll(harness, "integration_task_2")
    complete(harness, t1)
    complete(harness, t2)
    join = next(t for t in workflow(harness, wf_id)["tasks"] if t["taskType"] == "JOIN")
    assert join["status"] == "IN_PROGRESS", "t3 has not run yet"
    complete(harness, poll(harness, "integration_task_3"), {"done": 3})
    wf = workflow(harness, wf_id)
    join = next(t for t in wf["tasks"] if t["taskType"] == "JOIN")
    assert join["status"] == "COMPLETED"
    assert join["outputData"]["t3"] == {"done": 3}
    fork = wf["tasks"][0]
    assert (fork["taskType"], fork["status"]) == ("FORK", "COMPLETED")
    work(harness, "integration_task_4")
    assert finished(harness, wf_id)["status"] == "COMPLETED"


def test_set_variable_and_workflow_variables_in_the_output(harness: TestClient) -> None:
    """simple_set_variable_workflow_integration_test.json: the variable lands in
    workflow.variables and outputParameters read it."""
    load(harness, "simple_set_variable_workflow_integration_test.json")
    wf_id = start(harness, "test_set_variable_wf", input={"var": "value"})
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert wf["variables"] == {"var": "value"}
    assert wf["output"] == {"variables": {"var": "value"}}


def test_inline_sub_workflow_runs_the_child_and_returns_its_output(harness: TestClient) -> None:
    """simple_workflow_with_sub_workflow_inline_def_integration_test.json: the child (inline
    definition) runs t3 and its output flows back into the SUB_WORKFLOW task."""
    load(harness, "simple_workflow_with_sub_workflow_inline_def_integration_test.json")
    wf_id = start(harness, "WorkflowWithInlineSubWorkflow", input={"param1": "a", "param2": "b"})
    complete(harness, poll(harness, "integration_task_1"), {"op": "x", "imageType": "png"})
    t3 = poll(harness, "integration_task_3", timeout_ms=4000)
    assert t3["inputData"] == {"p1": "png"}
    child_id = t3["workflowInstanceId"]
    assert child_id != wf_id
    complete(harness, t3, {"op": "child-done"})
    child = finished(harness, child_id)
    assert child["status"] == "COMPLETED"
    assert child["parentWorkflowId"] == wf_id

    def sub_task_done() -> JSON | None:
        task = next(t for t in workflow(harness, wf_id)["tasks"] if t["taskType"] == "SUB_WORKFLOW")
        return task if task["status"] == "COMPLETED" else None

    sub = wait_for(sub_task_done, what="the SUB_WORKFLOW task to complete")
    assert sub["subWorkflowId"] == child_id
    assert sub["outputData"]["op"] == "child-done"
