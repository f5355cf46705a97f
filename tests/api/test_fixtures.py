"""Conductor's test-harness workflow definitions, loaded unchanged and driven over HTTP.

Task definitions are registered first, as Conductor's harness (`WorkflowTestUtil`) does:
`integration_task_0..20` and `task_optional` with one retry and no retry delay.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from .drive import (
    JSON,
    complete,
    fail,
    poll,
    poll_none,
    refs_and_statuses,
    start,
    task_def,
    task_defs,
    wait_for,
    work,
    workflow,
)

# shared/ sits beside the repository (developer machines and CI alike).
HARNESS = Path(__file__).resolve().parents[3] / "shared/fixtures/conductor-oss/test-harness"


def fixture(name: str) -> JSON:
    loaded: JSON = json.loads((HARNESS / name).read_text())
    return loaded


def load(client: TestClient, name: str) -> JSON:
    """POST a harness file exactly as it is on disk; returns its parsed content."""
    raw = (HARNESS / name).read_bytes()
    response = client.post(
        "/api/metadata/workflow", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    return fixture(name)


@pytest.fixture
def harness(client: TestClient) -> TestClient:
    defs = [task_def(f"integration_task_{i}", retryCount=1) for i in range(21)]
    task_defs(client, *defs, task_def("task_optional", retryCount=1))
    return client


def terminal(client: TestClient, wf_id: str) -> JSON | None:
    wf = workflow(client, wf_id)
    return wf if wf["status"] not in {"RUNNING", "PAUSED"} else None


def test_simple_workflow_1_passes_inputs_outputs_and_task_ids(harness: TestClient) -> None:
    """simple_workflow_1_integration_test.json: `${workflow.input.*}` and a null literal reach
    t1, `${t1.output.op}` flows into t2, `${CPEWF_TASK_ID}` is each task's own id, and the
    outputParameters are evaluated at completion."""
    definition = load(harness, "simple_workflow_1_integration_test.json")
    wf_id = start(harness, definition["name"], input={"param1": "p1 value", "param2": "p2 value"})
    t1 = poll(harness, "integration_task_1")
    assert t1["inputData"] == {
        "p1": "p1 value",
        "p2": "p2 value",
        "p3": t1["taskId"],
        "someNullKey": None,
    }
    complete(harness, t1, {"op": "task1.done"})
    t2 = poll(harness, "integration_task_2")
    assert t2["inputData"] == {"tp1": "p1 value", "tp2": "task1.done", "tp3": t2["taskId"]}
    complete(harness, t2, {"uuid": "u-42"})
    wf = workflow(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert refs_and_statuses(wf) == [("t1", "COMPLETED"), ("t2", "COMPLETED")]
    assert wf["output"] == {"o1": "p1 value", "o2": "u-42", "o3": "task1.done"}


def test_simple_workflow_1_retries_then_starts_the_indirect_failure_workflow(
    harness: TestClient,
) -> None:
    """simple_workflow_1_integration_test.json: integration_task_1 has one retry; a second
    failure fails the workflow, which starts the failure workflow named by
    `failureWorkflow: "$workflow.input.failureWfName"` with workflowId/reason/failureStatus."""
    definition = load(harness, "simple_workflow_1_integration_test.json")
    load(harness, "simple_workflow_3_integration_test.json")
    wf_input = {"param1": "a", "param2": "b", "failureWfName": "integration_test_wf3"}
    wf_id = start(harness, definition["name"], input=wf_input, correlationId="corr-1")
    fail(harness, poll(harness, "integration_task_1"), "first")
    retried = poll(harness, "integration_task_1")
    assert retried["retryCount"] == 1
    fail(harness, retried, "second")
    wf = workflow(harness, wf_id)
    assert wf["status"] == "FAILED"
    assert refs_and_statuses(wf) == [("t1", "FAILED"), ("t1", "FAILED")]
    assert "second" in wf["reasonForIncompletion"]
    failure_id = wf["output"]["conductor.failure_workflow"]
    failure = workflow(harness, failure_id)
    assert failure["workflowName"] == "integration_test_wf3"
    assert failure["correlationId"] == "corr-1"
    assert failure["input"]["workflowId"] == wf_id
    assert failure["input"]["failureStatus"] == "FAILED"
    assert failure["input"]["reason"] == wf["reasonForIncompletion"]
    assert failure["input"]["param1"] == "a"


def test_simple_workflow_1_input_template_fills_missing_inputs(harness: TestClient) -> None:
    """simple_workflow_1_input_template_integration_test.json: WorkflowDef `inputTemplate`
    adds the keys the start request leaves out (nested object, list, string); supplied keys
    win; the defaults reach the task input and the workflow output."""
    definition = load(harness, "simple_workflow_1_input_template_integration_test.json")
    template = definition["inputTemplate"]
    wf_id = start(harness, definition["name"], input={"param2": ["given"], "param4": 4})
    wf = workflow(harness, wf_id)
    assert wf["input"] == {
        "param1": template["param1"],
        "param2": ["given"],
        "param3": "string",
        "param4": 4,
    }
    t1 = poll(harness, "integration_task_1")
    assert t1["inputData"]["p1"] == {"nested_object": {"nested_key": "nested_value"}}
    assert t1["inputData"]["p2"] == ["given"]
    complete(harness, t1, {"op": "templated"})
    wf = workflow(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert wf["output"] == {
        "output": "templated",
        "param1": template["param1"],
        "param2": ["given"],
        "param3": "string",
    }


def test_simple_workflow_3_runs_three_tasks_in_order(harness: TestClient) -> None:
    """simple_workflow_3_integration_test.json: three sequential SIMPLE tasks, each scheduled
    only after the previous one completed; with empty outputParameters the workflow output
    is the last task's output."""
    definition = load(harness, "simple_workflow_3_integration_test.json")
    wf_id = start(harness, definition["name"], input={"param1": "x", "param2": "y"})
    poll_none(harness, "integration_task_2")
    work(harness, "integration_task_1", {"op": "one"})
    poll_none(harness, "integration_task_3")
    t2 = poll(harness, "integration_task_2")
    assert t2["inputData"] == {"tp1": "x", "tp2": "one"}
    complete(harness, t2, {"n": 2})
    t3 = poll(harness, "integration_task_3")
    assert t3["inputData"] == {"tp1": "x", "tp2": "one"}
    complete(harness, t3, {"n": 3})
    wf = workflow(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert [t["seq"] for t in wf["tasks"]] == [1, 2, 3]
    assert wf["output"] == {"n": 3}


def test_optional_task_ends_completed_with_errors_and_flow_continues(
    harness: TestClient,
) -> None:
    """simple_workflow_with_optional_task_integration_test.json: the optional t1 is retried
    once (task_optional retryCount 1); when it fails again it becomes COMPLETED_WITH_ERRORS,
    t2 is scheduled and the workflow COMPLETES."""
    definition = load(harness, "simple_workflow_with_optional_task_integration_test.json")
    wf_id = start(harness, definition["name"], input={"param1": "v1", "param2": "v2"})
    fail(harness, poll(harness, "task_optional"), "first")
    fail(harness, poll(harness, "task_optional"), "second")
    wf = workflow(harness, wf_id)
    assert wf["status"] == "RUNNING"
    assert refs_and_statuses(wf) == [
        ("t1", "FAILED"),
        ("t1", "COMPLETED_WITH_ERRORS"),
        ("t2", "SCHEDULED"),
    ]
    t2 = poll(harness, "integration_task_2")
    assert t2["inputData"] == {"tp1": "v1", "tp2": None}
    complete(harness, t2, {"uuid": "u"})
    wf = workflow(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert wf["output"] == {"o1": "v1", "o2": "u", "o3": None}


def permissive_task_fails_twice(client: TestClient) -> tuple[str, JSON]:
    definition = load(client, "simple_workflow_with_permissive_task_integration_test.json")
    wf_id = start(client, definition["name"], input={"param1": "v1", "param2": "v2"})
    fail(client, poll(client, "task_permissive"), "first")
    last = poll(client, "task_permissive")
    fail(client, last, "second")
    return wf_id, last


def test_permissive_failure_lets_the_flow_continue_then_fails_the_workflow(
    harness: TestClient,
) -> None:
    """simple_workflow_with_permissive_task_integration_test.json: t1 (permissive, retryCount 1
    on the workflow task) fails twice, yet t2 is scheduled; when t2 completes the workflow
    FAILS at the end with t1's failure as the reason."""
    wf_id, last = permissive_task_fails_twice(harness)
    wf = workflow(harness, wf_id)
    assert wf["status"] == "RUNNING"
    assert refs_and_statuses(wf) == [("t1", "FAILED"), ("t1", "FAILED"), ("t2", "SCHEDULED")]
    complete(harness, poll(harness, "integration_task_2"), {"uuid": "u"})
    wf = workflow(harness, wf_id)
    assert wf["status"] == "FAILED"
    assert wf["reasonForIncompletion"] == (
        f"Task {last['taskId']} failed with status: FAILED and reason: 'second'"
    )
    assert "t1" in wf["failedReferenceTaskNames"]


def test_permissive_failures_of_both_tasks_fail_the_workflow(harness: TestClient) -> None:
    """simple_workflow_with_permissive_task_integration_test.json: both tasks permissive and
    both failing: the workflow fails once t2 has used its retry too."""
    wf_id, _ = permissive_task_fails_twice(harness)
    fail(harness, poll(harness, "integration_task_2"), "t2 first")
    fail(harness, poll(harness, "integration_task_2"), "t2 second")
    wf = wait_for(lambda: terminal(harness, wf_id), what="the workflow to end")
    assert wf["status"] == "FAILED"
    assert "t2 second" in wf["reasonForIncompletion"]


def test_permissive_optional_failure_still_completes(harness: TestClient) -> None:
    """simple_workflow_with_permissive_optional_task_integration_test.json: t1 is optional AND
    permissive: once its retries are spent it is COMPLETED_WITH_ERRORS, so it does not fail the
    workflow at the end; t2 (permissive) completes and the workflow COMPLETES."""
    definition = load(
        harness, "simple_workflow_with_permissive_optional_task_integration_test.json"
    )
    wf_id = start(harness, definition["name"], input={"param1": "v1", "param2": "v2"})
    fail(harness, poll(harness, "task_optional"), "first")
    fail(harness, poll(harness, "task_optional"), "second")
    complete(harness, poll(harness, "integration_task_2"), {"uuid": "u"})
    wf = workflow(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert refs_and_statuses(wf) == [
        ("t1", "FAILED"),
        ("t1", "COMPLETED_WITH_ERRORS"),
        ("t2", "COMPLETED"),
    ]


def test_permissive_non_optional_failure_fails_at_the_end(harness: TestClient) -> None:
    """simple_workflow_with_permissive_optional_task_integration_test.json: t2 is permissive
    but not optional; when its retries are spent the workflow FAILS."""
    definition = load(
        harness, "simple_workflow_with_permissive_optional_task_integration_test.json"
    )
    wf_id = start(harness, definition["name"], input={"param1": "v1", "param2": "v2"})
    complete(harness, poll(harness, "task_optional"), {"op": "fine"})
    fail(harness, poll(harness, "integration_task_2"), "first")
    last = poll(harness, "integration_task_2")
    fail(harness, last, "second")
    wf = wait_for(lambda: terminal(harness, wf_id), what="the workflow to end")
    assert wf["status"] == "FAILED"
    assert last["taskId"] in wf["reasonForIncompletion"]


def response_timeout_workflow(client: TestClient, retries: int) -> tuple[str, JSON]:
    task_defs(
        client,
        task_def("task_rt", retryCount=retries, responseTimeoutSeconds=1, timeoutSeconds=30),
    )
    definition = load(client, "simple_workflow_with_resp_time_out_integration_test.json")
    load(client, "simple_workflow_3_integration_test.json")
    wf_input = {"param1": "v1", "param2": "v2", "failureWfName": "integration_test_wf3"}
    wf_id = start(client, definition["name"], input=wf_input)
    return wf_id, poll(client, "task_rt")


def test_response_timeout_times_out_the_attempt_and_retries(harness: TestClient) -> None:
    """simple_workflow_with_resp_time_out_integration_test.json: task_rt (responseTimeoutSeconds
    1, one retry) is polled and never answered; the sweeper marks it TIMED_OUT with Conductor's
    reason and schedules a new attempt, which completes, and the flow goes on to t2."""
    wf_id, first = response_timeout_workflow(harness, retries=1)

    def retried() -> JSON | None:
        wf = workflow(harness, wf_id)
        return wf if len(wf["tasks"]) == 2 else None

    wf = wait_for(retried, timeout=8, what="the timed-out attempt to be retried")
    timed_out, again = wf["tasks"]
    assert timed_out["taskId"] == first["taskId"]
    assert timed_out["status"] == "TIMED_OUT"
    assert timed_out["reasonForIncompletion"] == (
        f"responseTimeout: 1 exceeded for the taskId: {first['taskId']} "
        "with Task Definition: task_rt"
    )
    assert again["status"] == "SCHEDULED"
    assert again["retryCount"] == 1
    assert again["retriedTaskId"] == first["taskId"]
    second = poll(harness, "task_rt")
    assert second["taskId"] == again["taskId"]
    complete(harness, second, {"op": "late but fine"})
    t2 = poll(harness, "integration_task_2")
    assert t2["inputData"]["tp2"] == "late but fine"
    complete(harness, t2, {"uuid": "u"})
    assert workflow(harness, wf_id)["status"] == "COMPLETED"


def test_response_timeout_without_retries_times_out_and_starts_failure_workflow(
    harness: TestClient,
) -> None:
    """simple_workflow_with_resp_time_out_integration_test.json: with no retry left, the
    TIMED_OUT attempt ends the workflow as TIMED_OUT and its failureWorkflow
    (`$workflow.input.failureWfName`) starts with workflowId, reason and failureStatus."""
    wf_id, first = response_timeout_workflow(harness, retries=0)
    wf = wait_for(lambda: terminal(harness, wf_id), timeout=8, what="the workflow to time out")
    assert wf["status"] == "TIMED_OUT"
    assert refs_and_statuses(wf) == [("t1", "TIMED_OUT")]
    failure = workflow(harness, wf["output"]["conductor.failure_workflow"])
    assert failure["workflowName"] == "integration_test_wf3"
    assert failure["input"]["workflowId"] == wf_id
    assert failure["input"]["failureStatus"] == "TIMED_OUT"
    assert first["taskId"] in failure["input"]["reason"]
