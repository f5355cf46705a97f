"""The remaining test-harness fixtures: WAIT then SIMPLE, START_WORKFLOW from an input file,
a synchronous system task after a worker task, and the test-only system task types."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .drive import JSON, complete, poll, start, wait_for, workflow
from .test_fixtures import fixture, harness, load, terminal

__all__ = ["harness"]


def finished(client: TestClient, wf_id: str) -> JSON:
    return wait_for(lambda: terminal(client, wf_id), what=f"workflow {wf_id} to end")


def test_wait_then_simple(harness: TestClient) -> None:
    """wait_workflow_integration_test.json: the WAIT (no duration) holds the flow until it is
    completed through the API; then t1 runs."""
    load(harness, "wait_workflow_integration_test.json")
    wf_id = start(harness, "test_wait_workflow")
    assert [(t["taskType"], t["status"]) for t in workflow(harness, wf_id)["tasks"]] == [
        ("WAIT", "IN_PROGRESS")
    ]
    harness.post(f"/api/tasks/{wf_id}/wait0/COMPLETED", json={})
    complete(harness, poll(harness, "integration_task_1"))
    assert finished(harness, wf_id)["status"] == "COMPLETED"


def test_start_workflow_from_the_input_file(harness: TestClient) -> None:
    """workflow_that_starts_another_workflow.json with start_workflow_input.json: the
    START_WORKFLOW task starts integration_test_wf (simple_workflow_1) detached and completes
    with its id."""
    load(harness, "simple_workflow_1_integration_test.json")
    load(harness, "workflow_that_starts_another_workflow.json")
    wf_id = start(
        harness, "workflow_that_starts_another_workflow", input=fixture("start_workflow_input.json")
    )
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    started = wf["tasks"][0]["outputData"]["workflowId"]
    child = workflow(harness, started)
    assert child["workflowName"] == "integration_test_wf"
    assert child["status"] == "RUNNING"
    assert "parentWorkflowId" not in child, "detached: not a sub-workflow"


def test_synchronous_system_task_after_a_worker_task(harness: TestClient) -> None:
    """workflow_with_synchronous_system_task.json: the jq task runs in the same decision that
    handles t1's completion; its output counts t1's TEST_SAMPLE entries."""
    load(harness, "workflow_with_synchronous_system_task.json")
    wf_id = start(harness, "workflow_with_synchronous_system_task", input={"param1": "x"})
    complete(harness, poll(harness, "integration_task_1"), {"op": {"TEST_SAMPLE": [1, 2, 3]}})
    wf = workflow(harness, wf_id)
    assert wf["status"] == "COMPLETED", "no further decision was needed"
    assert wf["tasks"][1]["outputData"]["result"] == 3


@pytest.mark.parametrize(
    "name",
    [
        "blocking_system_task_workflow_integration_test.json",
        "rate_limited_system_task_workflow_integration_test.json",
    ],
)
def test_fixtures_of_test_only_system_task_types(name: str) -> None:
    """These use BLOCKING_SYSTEM_TASK / USER_TASK, system task types that exist only in
    Conductor's own test suite (not a Conductor feature users can use)."""
    pytest.skip(f"{name}: its task type is defined only by Conductor's test harness")
