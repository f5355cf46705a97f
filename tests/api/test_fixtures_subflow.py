"""Conductor's sub-workflow, TERMINATE, failure-workflow and signal fixtures (test-harness),
registered unchanged and driven over HTTP.

Expected states come from Conductor's `SubWorkflowSpec`, `FailureWorkflowSpec`,
`LambdaAndTerminateTaskSpec`, `SignalTaskSpec` and `DoWhileSpec` (a child inside a loop).
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from .drive import complete, poll, poll_none, start, wait_for, workflow
from .test_fixtures import harness, load
from .test_fixtures_loop import by_ref, complete_in_place, finished, refs, shape

__all__ = ["harness"]


def child_of(client: TestClient, wf_id: str, ref: str) -> str:
    """The id of the child that the SUB_WORKFLOW task `ref` started (once it has)."""

    def started() -> str | None:
        task = by_ref(workflow(client, wf_id), ref)
        child = task.get("subWorkflowId")
        return str(child) if task["status"] == "IN_PROGRESS" and child else None

    return wait_for(started, what=f"{ref} to start its child")


def test_simple_one_task_sub_workflow_returns_its_output_to_the_parent(
    harness: TestClient,
) -> None:
    """simple_one_task_sub_workflow_integration_test.json as the child of
    workflow_with_sub_workflow_1_integration_test.json (`subWorkflowParam.name` from
    `${workflow.input.subwf}`): the child gets the parent's correlationId, the resolved
    inputParameters as input and a parentWorkflowId; its output becomes the SUB_WORKFLOW task's
    output and, as the last task's output, the parent's."""
    load(harness, "simple_one_task_sub_workflow_integration_test.json")
    load(harness, "workflow_with_sub_workflow_1_integration_test.json")
    wf_input = {"param1": "p1 value", "param2": "p2 value", "subwf": "sub_workflow"}
    wf_id = start(
        harness, "integration_test_wf_with_sub_wf", input=wf_input, correlationId="wf_with_subwf"
    )
    assert shape(workflow(harness, wf_id)) == [("integration_task_1", "SCHEDULED")]
    complete(harness, poll(harness, "integration_task_1"), {"op": "task1.done"})
    child_id = child_of(harness, wf_id, "t2")
    wf = workflow(harness, wf_id)
    assert shape(wf) == [("integration_task_1", "COMPLETED"), ("SUB_WORKFLOW", "IN_PROGRESS")]
    sub = wf["tasks"][1]
    assert sub["inputData"]["subWorkflowName"] == "sub_workflow"
    assert sub["inputData"]["subWorkflowVersion"] == 1
    assert sub["outputData"]["subWorkflowId"] == child_id

    child = workflow(harness, child_id)
    assert child["status"] == "RUNNING"
    assert shape(child) == [("simple_task_in_sub_wf", "SCHEDULED")]
    assert child["parentWorkflowId"] == wf_id
    assert child["parentWorkflowTaskId"] == sub["taskId"]
    assert child["correlationId"] == "wf_with_subwf"
    assert child["input"]["param1"] == "p1 value"
    assert child["input"]["param2"] == "p2 value"

    complete(harness, poll(harness, "simple_task_in_sub_wf"), {"op": "simple_task_in_sub_wf.done"})
    child = finished(harness, child_id)
    assert child["status"] == "COMPLETED"
    assert child["output"] == {"op": "simple_task_in_sub_wf.done"}
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert shape(wf) == [("integration_task_1", "COMPLETED"), ("SUB_WORKFLOW", "COMPLETED")]
    assert wf["tasks"][1]["subWorkflowId"] == child_id
    assert wf["tasks"][1]["outputData"]["op"] == "simple_task_in_sub_wf.done"
    assert wf["output"]["op"] == "simple_task_in_sub_wf.done"


def test_terminating_the_child_terminates_the_parent(harness: TestClient) -> None:
    """simple_one_task_sub_workflow_integration_test.json under
    workflow_with_sub_workflow_1_integration_test.json: terminating the running child through
    the API cancels its task, CANCELs the parent's SUB_WORKFLOW task and TERMINATES the parent
    with a reason carrying the child's."""
    load(harness, "simple_one_task_sub_workflow_integration_test.json")
    load(harness, "workflow_with_sub_workflow_1_integration_test.json")
    wf_input = {"param1": "p1", "param2": "p2", "subwf": "sub_workflow"}
    wf_id = start(harness, "integration_test_wf_with_sub_wf", input=wf_input)
    complete(harness, poll(harness, "integration_task_1"), {"op": "task1.done"})
    child_id = child_of(harness, wf_id, "t2")
    reason = "terminating from a test case"
    response = harness.delete(f"/api/workflow/{child_id}", params={"reason": reason})
    assert response.status_code == 200, response.text
    child = workflow(harness, child_id)
    assert child["status"] == "TERMINATED"
    assert child["reasonForIncompletion"] == reason
    assert shape(child) == [("simple_task_in_sub_wf", "CANCELED")]
    wf = finished(harness, wf_id)
    assert wf["status"] == "TERMINATED"
    assert shape(wf) == [("integration_task_1", "COMPLETED"), ("SUB_WORKFLOW", "CANCELED")]
    assert reason in wf["reasonForIncompletion"]


def test_task_failed_in_sub_workflow_fails_the_parent_and_starts_its_failure_workflow(
    harness: TestClient,
) -> None:
    """test_task_failed_parent_workflow.json + test_task_failed_sub_workflow.json (TERMINATE
    FAILED in the child) + failure_workflow_for_terminate_task_workflow.json: the child FAILS
    "by TERMINATE task", the parent's SUB_WORKFLOW task FAILS (not retried), lambdaTask2 never
    runs, the parent FAILS and its `failure_workflow` runs with the parent's input and
    correlationId, its workflowId and the failed task's id."""
    load(harness, "failure_workflow_for_terminate_task_workflow.json")
    load(harness, "test_task_failed_sub_workflow.json")
    load(harness, "test_task_failed_parent_workflow.json")
    wf_id = start(harness, "test_task_failed_parent_wf", input={"a": 1}, correlationId="corr")
    wf = finished(harness, wf_id)
    assert wf["status"] == "FAILED"
    assert shape(wf) == [("LAMBDA", "COMPLETED"), ("SUB_WORKFLOW", "FAILED")]
    assert [t["seq"] for t in wf["tasks"]] == [1, 2]
    assert wf["tasks"][0]["outputData"] == {
        "result": {"testvalue": "Lambda value was NOT 1", "iValue": 13}
    }
    sub = wf["tasks"][1]
    child = workflow(harness, sub["subWorkflowId"])
    assert child["status"] == "FAILED"
    assert shape(child) == [("LAMBDA", "COMPLETED"), ("TERMINATE", "COMPLETED")]
    assert [t["seq"] for t in child["tasks"]] == [1, 2]
    terminate_id = child["tasks"][1]["taskId"]
    assert child["reasonForIncompletion"] == f"Workflow is FAILED by TERMINATE task: {terminate_id}"
    # No inputParameters on the SUB_WORKFLOW task: the child's input is the task's whole
    # input, which holds no `a`, so the child's LAMBDA answers false.
    assert "a" not in child["input"]
    assert child["output"] == {"result": {"testvalue": False}}
    assert sub["reasonForIncompletion"] == (
        f"Sub workflow {child['workflowId']} failure reason: {child['reasonForIncompletion']}"
    )
    assert wf["reasonForIncompletion"] == (
        f"Task {sub['taskId']} failed with status: FAILED and reason: "
        f"'{sub['reasonForIncompletion']}'"
    )
    failure = finished(harness, wf["output"]["conductor.failure_workflow"])
    assert failure["workflowName"] == "failure_workflow"
    assert failure["status"] == "COMPLETED"
    assert failure["correlationId"] == "corr"
    assert failure["input"]["workflowId"] == wf_id
    assert failure["input"]["failureTaskId"] == sub["taskId"]
    assert failure["input"]["failureStatus"] == "FAILED"
    assert shape(failure) == [("LAMBDA", "COMPLETED")]
    assert failure["tasks"][0]["outputData"] == {"result": {"testvalue": True}}


def test_terminate_task_parent_cancels_the_running_sub_workflow(harness: TestClient) -> None:
    """terminate_task_parent_workflow.json + terminate_task_sub_workflow.json: a fork runs a
    LAMBDA then a SUB_WORKFLOW in one branch, a LAMBDA, a WAIT and a TERMINATE COMPLETED in the
    other. Completing the WAIT runs the TERMINATE: the parent COMPLETES with `{output: "some
    output"}`, its JOIN and SUB_WORKFLOW are CANCELED, basicJavaB never runs, and the child is
    TERMINATED with "Parent workflow has been terminated with reason: …"."""
    load(harness, "terminate_task_sub_workflow.json")
    load(harness, "terminate_task_parent_workflow.json")
    wf_id = start(harness, "test_terminate_task_parent_wf", input={"a": 1})
    child_id = child_of(harness, wf_id, "test_terminate_subworkflow")
    wf = workflow(harness, wf_id)
    assert wf["status"] == "RUNNING"
    assert shape(wf) == [
        ("FORK", "COMPLETED"),
        ("LAMBDA", "COMPLETED"),
        ("LAMBDA", "COMPLETED"),
        ("JOIN", "IN_PROGRESS"),
        ("SUB_WORKFLOW", "IN_PROGRESS"),
        ("WAIT", "IN_PROGRESS"),
    ]
    assert refs(wf)[:3] == ["forkx", "lambdaTask1", "lambdaTask2"]
    assert [t["seq"] for t in wf["tasks"]] == [1, 2, 3, 4, 5, 6]
    child = workflow(harness, child_id)
    assert child["status"] == "RUNNING"
    assert shape(child) == [("integration_task_3", "SCHEDULED")]

    complete_in_place(harness, by_ref(wf, "basicJavaA"))
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert shape(wf) == [
        ("FORK", "COMPLETED"),
        ("LAMBDA", "COMPLETED"),
        ("LAMBDA", "COMPLETED"),
        ("JOIN", "CANCELED"),
        ("SUB_WORKFLOW", "CANCELED"),
        ("WAIT", "COMPLETED"),
        ("TERMINATE", "COMPLETED"),
    ]
    assert [t["seq"] for t in wf["tasks"]] == [1, 2, 3, 4, 5, 6, 7]
    terminate_id = wf["tasks"][6]["taskId"]
    assert wf["reasonForIncompletion"] == f"Workflow is COMPLETED by TERMINATE task: {terminate_id}"
    assert wf["output"] == {"output": "some output"}
    child = finished(harness, child_id)
    assert child["status"] == "TERMINATED"
    assert shape(child) == [("integration_task_3", "CANCELED")]
    assert child["reasonForIncompletion"] == (
        f"Parent workflow has been terminated with reason: {wf['reasonForIncompletion']}"
    )
    poll_none(harness, "integration_task_3")


def test_terminate_task_with_terminated_status(harness: TestClient) -> None:
    """terminate_task_terminated_status_test.json: TERMINATE with terminationStatus TERMINATED
    ends the workflow TERMINATED (not COMPLETED or FAILED) with its terminationReason and
    `${lambda0.output}` as the output; lambda1 never runs."""
    load(harness, "terminate_task_terminated_status_test.json")
    wf_id = start(harness, "test_terminate_task_terminated", input={"a": 1})
    wf = finished(harness, wf_id)
    assert wf["status"] == "TERMINATED"
    assert wf["reasonForIncompletion"] == "Early exit with TERMINATED status"
    assert shape(wf) == [("LAMBDA", "COMPLETED"), ("TERMINATE", "COMPLETED")]
    assert refs(wf) == ["lambda0", "terminate0"]
    assert wf["output"] == wf["tasks"][0]["outputData"]
    assert wf["tasks"][1]["outputData"] == wf["tasks"][0]["outputData"]


def test_terminate_task_with_terminated_status_inside_do_while(harness: TestClient) -> None:
    """terminate_task_terminated_status_in_do_while_test.json: the TERMINATE (TERMINATED) in
    the loop's first iteration ends the workflow TERMINATED with its reason; the loop, still
    running, is CANCELED and no second iteration starts."""
    load(harness, "terminate_task_terminated_status_in_do_while_test.json")
    wf_id = start(harness, "test_terminate_task_terminated_in_do_while")
    wf = finished(harness, wf_id)
    assert wf["status"] == "TERMINATED"
    assert wf["reasonForIncompletion"] == "Workflow terminated by TERMINATE task in DO_WHILE loop"
    assert shape(wf) == [
        ("DO_WHILE", "CANCELED"),
        ("LAMBDA", "COMPLETED"),
        ("TERMINATE", "COMPLETED"),
    ]
    assert refs(wf) == ["do_while_ref", "lambda_ref__1", "terminate_ref__1"]
    assert [t["iteration"] for t in wf["tasks"][1:]] == [1, 1]


def test_failure_workflow_for_terminate_task_failed_workflow(harness: TestClient) -> None:
    """failure_workflow_for_terminate_task_workflow.json as the failureWorkflow of
    terminate_task_failed_workflow_integration.json: TERMINATE FAILED fails the workflow with
    its terminationReason; `failure_workflow` starts with the same correlationId and
    `{workflowId, reason, failureStatus, failureTaskId}` plus the failed input, and its LAMBDA
    sees `a == 1`."""
    load(harness, "failure_workflow_for_terminate_task_workflow.json")
    load(harness, "terminate_task_failed_workflow_integration.json")
    wf_id = start(harness, "test_terminate_task_failed_wf", input={"a": 1}, correlationId="testId")
    wf = finished(harness, wf_id)
    assert wf["status"] == "FAILED"
    assert wf["reasonForIncompletion"] == "Early exit in terminate"
    assert shape(wf) == [("LAMBDA", "COMPLETED"), ("TERMINATE", "COMPLETED")]
    assert [t["seq"] for t in wf["tasks"]] == [1, 2]
    poll_none(harness, "integration_task_2")
    assert wf["output"]["result"] == {"testvalue": True}
    failure = finished(harness, wf["output"]["conductor.failure_workflow"])
    assert failure["status"] == "COMPLETED"
    assert failure["workflowName"] == "failure_workflow"
    assert failure["correlationId"] == "testId"
    assert failure["input"]["workflowId"] == wf_id
    assert failure["input"]["failureTaskId"] == wf["tasks"][1]["taskId"]
    assert failure["input"]["failureStatus"] == "FAILED"
    assert failure["input"]["reason"] == "Early exit in terminate"
    assert failure["input"]["a"] == 1
    assert shape(failure) == [("LAMBDA", "COMPLETED")]
    assert failure["tasks"][0]["outputData"] == {"result": {"testvalue": True}}


def test_signal_reaches_the_wait_inside_the_child(harness: TestClient) -> None:
    """signal_sub_wf_parent_integration_test.json + signal_sub_wf_child_integration_test.json:
    `POST /api/tasks/{parentId}/COMPLETED/signal` descends into the running child and
    completes its WAIT with the body as output; the child, then the parent, COMPLETE."""
    load(harness, "signal_sub_wf_child_integration_test.json")
    load(harness, "signal_sub_wf_parent_integration_test.json")
    wf_id = start(harness, "signal_sub_wf_parent")
    child_id = child_of(harness, wf_id, "sub_wf_ref")
    child = workflow(harness, child_id)
    assert shape(child) == [("WAIT", "IN_PROGRESS")]
    response = harness.post(f"/api/tasks/{wf_id}/COMPLETED/signal", json={"result": "sub-done"})
    assert response.status_code == 200, response.text
    child = finished(harness, child_id)
    assert child["status"] == "COMPLETED"
    assert shape(child) == [("WAIT", "COMPLETED")]
    assert child["tasks"][0]["outputData"] == {"result": "sub-done"}
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert shape(wf) == [("SUB_WORKFLOW", "COMPLETED")]
    assert wf["tasks"][0]["outputData"]["result"] == "sub-done"


def test_do_while_sub_workflow_runs_a_child_in_the_loop(harness: TestClient) -> None:
    """do_while_sub_workflow_integration_test.json (loop 1) with the child
    simple_one_task_sub_workflow_integration_test.json: after task_0, the fork and its JOIN,
    st1__1 starts `sub_workflow`; when the child's task completes, the child, the SUB_WORKFLOW
    task, the loop and the workflow complete (7 tasks)."""
    load(harness, "simple_one_task_sub_workflow_integration_test.json")
    load(harness, "do_while_sub_workflow_integration_test.json")
    wf_id = start(harness, "Do_While_Sub_Workflow", input={"loop": 1})
    assert shape(workflow(harness, wf_id)) == [
        ("DO_WHILE", "IN_PROGRESS"),
        ("integration_task_0", "SCHEDULED"),
    ]
    for name in ("integration_task_0", "integration_task_1", "integration_task_2"):
        complete(harness, poll(harness, name))

    child_id = child_of(harness, wf_id, "st1__1")
    wf = workflow(harness, wf_id)
    assert shape(wf) == [
        ("DO_WHILE", "IN_PROGRESS"),
        ("integration_task_0", "COMPLETED"),
        ("FORK", "COMPLETED"),
        ("integration_task_1", "COMPLETED"),
        ("integration_task_2", "COMPLETED"),
        ("JOIN", "COMPLETED"),
        ("SUB_WORKFLOW", "IN_PROGRESS"),
    ]
    child = workflow(harness, child_id)
    assert child["status"] == "RUNNING"
    assert shape(child) == [("simple_task_in_sub_wf", "SCHEDULED")]
    assert child["parentWorkflowId"] == wf_id
    poll_none(harness, "integration_task_0")
    complete(harness, poll(harness, "simple_task_in_sub_wf"), {"child": "done"})
    assert finished(harness, child_id)["status"] == "COMPLETED"
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert len(wf["tasks"]) == 7
    assert all(status == "COMPLETED" for _, status in shape(wf))
    assert by_ref(wf, "st1__1")["outputData"]["child"] == "done"
