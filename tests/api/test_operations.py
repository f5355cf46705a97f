"""Operator actions over HTTP: pause, resume, terminate, restart, retry, rerun, skip, remove,
decide and the bulk variants."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .conftest import register
from .drive import (
    JSON,
    assert_error,
    complete,
    fail,
    poll,
    poll_none,
    refs_and_statuses,
    start,
    task_def,
    task_defs,
    work,
    workflow,
)


def three_step(name: str = "three", **extra: object) -> JSON:
    return {
        "name": name,
        "version": 1,
        "tasks": [
            {
                "name": "step_a",
                "taskReferenceName": "a",
                "inputParameters": {"x": "${workflow.input.x}"},
            },
            {
                "name": "step_b",
                "taskReferenceName": "b",
                "inputParameters": {"fromA": "${a.output.v}"},
            },
            {
                "name": "step_c",
                "taskReferenceName": "c",
                "inputParameters": {"fromB": "${b.output.v}"},
            },
        ],
        **extra,
    }


@pytest.fixture
def ops(client: TestClient) -> TestClient:
    """Worker task defs without retries, so that one failure fails the workflow."""
    task_defs(client, *(task_def(f"step_{s}") for s in "abc"))
    register(client, three_step())
    return client


def finished(client: TestClient) -> str:
    wf_id = start(client, "three", input={"x": 1})
    for step in "abc":
        work(client, f"step_{step}", {"v": step.upper()})
    assert workflow(client, wf_id)["status"] == "COMPLETED"
    return wf_id


def failed_at_b(client: TestClient) -> str:
    wf_id = start(client, "three", input={"x": 1})
    work(client, "step_a", {"v": "A"})
    fail(client, poll(client, "step_b"), "b broke")
    assert workflow(client, wf_id)["status"] == "FAILED"
    return wf_id


def test_pause_keeps_tasks_pollable_but_the_decider_waits_for_resume(ops: TestClient) -> None:
    wf_id = start(ops, "three", input={"x": 1})
    assert ops.put(f"/api/workflow/{wf_id}/pause").status_code == 200
    assert workflow(ops, wf_id)["status"] == "PAUSED"
    assert ops.put(f"/api/workflow/{wf_id}/pause").status_code == 200, "pausing twice is a no-op"
    a = poll(ops, "step_a")
    complete(ops, a, {"v": "A"})
    wf = workflow(ops, wf_id)
    assert wf["status"] == "PAUSED"
    assert refs_and_statuses(wf) == [("a", "COMPLETED")], "nothing scheduled while paused"
    poll_none(ops, "step_b")
    assert ops.put(f"/api/workflow/decide/{wf_id}").status_code == 200
    assert refs_and_statuses(workflow(ops, wf_id)) == [("a", "COMPLETED")]
    assert ops.put(f"/api/workflow/{wf_id}/resume").status_code == 200
    wf = workflow(ops, wf_id)
    assert wf["status"] == "RUNNING"
    assert refs_and_statuses(wf) == [("a", "COMPLETED"), ("b", "SCHEDULED")]
    assert poll(ops, "step_b")["inputData"] == {"fromA": "A"}


def test_resume_of_a_running_workflow_is_409(ops: TestClient) -> None:
    """Podium deviation: Conductor answers 500 (IllegalStateException)."""
    wf_id = start(ops, "three")
    before = workflow(ops, wf_id)
    assert_error(ops.put(f"/api/workflow/{wf_id}/resume"), 409)
    assert workflow(ops, wf_id) == before


def test_pause_of_a_completed_workflow_is_409(ops: TestClient) -> None:
    wf_id = finished(ops)
    assert_error(ops.put(f"/api/workflow/{wf_id}/pause"), 409)
    assert workflow(ops, wf_id)["status"] == "COMPLETED"


def test_terminate_records_the_reason_and_cancels_live_tasks(ops: TestClient) -> None:
    wf_id = start(ops, "three")
    poll(ops, "step_a")
    response = ops.delete(f"/api/workflow/{wf_id}", params={"reason": "operator said so"})
    assert response.status_code == 200
    wf = workflow(ops, wf_id)
    assert wf["status"] == "TERMINATED"
    assert wf["reasonForIncompletion"] == "operator said so"
    assert wf["endTime"] > 0
    assert refs_and_statuses(wf) == [("a", "CANCELED")]
    poll_none(ops, "step_a")
    assert ops.delete(f"/api/workflow/{wf_id}").status_code == 200, "again: a no-op"
    assert workflow(ops, wf_id)["reasonForIncompletion"] == "operator said so"


def test_terminate_of_a_completed_workflow_is_409(ops: TestClient) -> None:
    wf_id = finished(ops)
    before = workflow(ops, wf_id)
    assert_error(
        ops.delete(f"/api/workflow/{wf_id}"), 409, "Cannot terminate a COMPLETED workflow."
    )
    assert workflow(ops, wf_id) == before


def test_restart_keeps_the_id_and_starts_over(ops: TestClient) -> None:
    wf_id = finished(ops)
    old_ids = {t["taskId"] for t in workflow(ops, wf_id)["tasks"]}
    assert ops.post(f"/api/workflow/{wf_id}/restart").status_code == 204
    wf = workflow(ops, wf_id)
    assert wf["workflowId"] == wf_id
    assert wf["status"] == "RUNNING"
    assert wf["output"] == {}
    assert wf.get("endTime", 0) == 0
    assert refs_and_statuses(wf) == [("a", "SCHEDULED")]
    assert wf["tasks"][0]["taskId"] not in old_ids
    assert wf["input"] == {"x": 1}
    work(ops, "step_a", {"v": "again"})
    assert poll(ops, "step_b")["inputData"] == {"fromA": "again"}


def test_restart_of_a_running_workflow_is_409(ops: TestClient) -> None:
    """As in Conductor: only a finished workflow can be restarted (409 otherwise)."""
    wf_id = start(ops, "three")
    before = workflow(ops, wf_id)
    assert_error(ops.post(f"/api/workflow/{wf_id}/restart"), 409)
    assert workflow(ops, wf_id) == before


def test_retry_schedules_a_new_attempt_of_the_failed_task(ops: TestClient) -> None:
    wf_id = failed_at_b(ops)
    failed_b = workflow(ops, wf_id)["tasks"][1]
    assert ops.post(f"/api/workflow/{wf_id}/retry").status_code == 204
    wf = workflow(ops, wf_id)
    assert wf["status"] == "RUNNING"
    assert "reasonForIncompletion" not in wf
    assert refs_and_statuses(wf) == [("a", "COMPLETED"), ("b", "FAILED"), ("b", "SCHEDULED")]
    new_b = wf["tasks"][2]
    assert new_b["taskId"] != failed_b["taskId"]
    assert new_b["retriedTaskId"] == failed_b["taskId"]
    assert new_b["retryCount"] == failed_b["retryCount"] + 1
    assert new_b["inputData"] == {"fromA": "A"}
    work(ops, "step_b", {"v": "B"})
    work(ops, "step_c", {"v": "C"})
    assert workflow(ops, wf_id)["status"] == "COMPLETED"


def test_retry_without_failed_tasks_is_409(ops: TestClient) -> None:
    wf_id = finished(ops)
    assert_error(
        ops.post(f"/api/workflow/{wf_id}/retry"),
        409,
        "There are no retryable tasks! Use restart if you want to attempt entire workflow "
        "execution again.",
    )
    assert workflow(ops, wf_id)["status"] == "COMPLETED"


def test_retry_of_a_running_workflow_is_409(ops: TestClient) -> None:
    """Podium deviation: Conductor answers 404 "Workflow is still running"."""
    wf_id = start(ops, "three")
    before = workflow(ops, wf_id)
    assert_error(ops.post(f"/api/workflow/{wf_id}/retry"), 409)
    assert workflow(ops, wf_id) == before


def test_rerun_from_a_task_resets_it_with_new_input_and_drops_later_tasks(
    ops: TestClient,
) -> None:
    wf_id = finished(ops)
    b = workflow(ops, wf_id)["tasks"][1]
    body = {"reRunFromWorkflowId": wf_id, "reRunFromTaskId": b["taskId"], "taskInput": {"k": 9}}
    response = ops.post(f"/api/workflow/{wf_id}/rerun", json=body)
    assert response.status_code == 200
    assert response.text == wf_id
    wf = workflow(ops, wf_id)
    assert wf["status"] == "RUNNING"
    assert refs_and_statuses(wf) == [("a", "COMPLETED"), ("b", "SCHEDULED")]
    polled = poll(ops, "step_b")
    assert polled["taskId"] == b["taskId"]
    assert polled["inputData"]["k"] == 9
    complete(ops, polled, {"v": "B2"})
    assert poll(ops, "step_c")["inputData"] == {"fromB": "B2"}


def test_rerun_of_a_running_workflow_is_409_and_of_an_unknown_task_400(ops: TestClient) -> None:
    done = finished(ops)
    wf_id = start(ops, "three")
    assert_error(ops.post(f"/api/workflow/{wf_id}/rerun", json={}), 409)
    response = ops.post(f"/api/workflow/{done}/rerun", json={"reRunFromTaskId": "nope"})
    assert_error(response, 400, "Task nope not found")
    assert workflow(ops, done)["status"] == "COMPLETED"


def test_skip_of_a_later_task_jumps_over_it(ops: TestClient) -> None:
    wf_id = start(ops, "three", input={"x": 1})
    a = poll(ops, "step_a")
    body = {"taskInput": {"in": 1}, "taskOutput": {"v": "skipped-b"}}
    assert ops.put(f"/api/workflow/{wf_id}/skiptask/b", json=body).status_code == 200
    complete(ops, a, {"v": "A"})
    wf = workflow(ops, wf_id)
    assert refs_and_statuses(wf) == [("a", "COMPLETED"), ("b", "SKIPPED"), ("c", "SCHEDULED")]
    assert wf["tasks"][1]["outputData"] == {"v": "skipped-b"}
    poll_none(ops, "step_b")
    assert poll(ops, "step_c")["inputData"] == {"fromB": "skipped-b"}


def test_skip_of_an_already_scheduled_task_or_on_a_paused_workflow_is_409(ops: TestClient) -> None:
    """Podium deviation: Conductor answers 500 (IllegalStateException)."""
    wf_id = start(ops, "three")
    assert_error(ops.put(f"/api/workflow/{wf_id}/skiptask/a"), 409)
    ops.put(f"/api/workflow/{wf_id}/pause")
    before = workflow(ops, wf_id)
    assert_error(ops.put(f"/api/workflow/{wf_id}/skiptask/c"), 409)
    assert workflow(ops, wf_id) == before


def test_remove_of_a_running_workflow_with_archive_is_400(ops: TestClient) -> None:
    wf_id = start(ops, "three")
    before = workflow(ops, wf_id)
    response = ops.delete(f"/api/workflow/{wf_id}/remove", params={"archiveWorkflow": "true"})
    assert_error(response, 400)
    assert workflow(ops, wf_id) == before


def test_remove_without_archive_deletes_the_execution(ops: TestClient) -> None:
    wf_id = start(ops, "three")
    response = ops.delete(f"/api/workflow/{wf_id}/remove", params={"archiveWorkflow": "false"})
    assert response.status_code == 200
    assert_error(ops.get(f"/api/workflow/{wf_id}"), 404, f"No such workflow found by id: {wf_id}")
    poll_none(ops, "step_a")


def test_remove_with_archive_keeps_the_archived_copy_readable(ops: TestClient) -> None:
    """Conductor: remove deletes from the primary store, but with archiveWorkflow=true the
    JSON stays in the index and GET /api/workflow/{id} falls back to it."""
    wf_id = finished(ops)
    response = ops.delete(f"/api/workflow/{wf_id}/remove", params={"archiveWorkflow": "true"})
    assert response.status_code == 200
    archived = ops.get(f"/api/workflow/{wf_id}")
    assert archived.status_code == 200, archived.text
    assert archived.json()["status"] == "COMPLETED"


def test_decide_is_harmless_and_404_for_unknown_ids(ops: TestClient) -> None:
    wf_id = start(ops, "three")
    before = workflow(ops, wf_id)
    assert ops.put(f"/api/workflow/decide/{wf_id}").status_code == 200
    assert refs_and_statuses(workflow(ops, wf_id)) == refs_and_statuses(before)
    assert_error(ops.put("/api/workflow/decide/ghost"), 404, "No such workflow found by id: ghost")


def test_bulk_pause_resume_terminate_report_per_id(ops: TestClient) -> None:
    first, second = start(ops, "three"), start(ops, "three")
    ids = [first, "ghost", second]
    paused = ops.put("/api/workflow/bulk/pause", json=ids)
    assert paused.status_code == 200
    assert paused.json() == {
        "bulkErrorResults": {"ghost": "No such workflow found by id: ghost"},
        "bulkSuccessfulResults": [first, second],
        "message": "Bulk Request has been processed.",
    }
    assert {workflow(ops, i)["status"] for i in (first, second)} == {"PAUSED"}
    resumed = ops.put("/api/workflow/bulk/resume", json=[first, "ghost"]).json()
    assert resumed["bulkSuccessfulResults"] == [first]
    assert list(resumed["bulkErrorResults"]) == ["ghost"]
    assert workflow(ops, first)["status"] == "RUNNING"
    assert workflow(ops, second)["status"] == "PAUSED"
    again = ops.put("/api/workflow/bulk/resume", json=[first]).json()
    assert list(again["bulkErrorResults"]) == [first], "resuming a RUNNING workflow fails"
    ended = ops.post("/api/workflow/bulk/terminate", params={"reason": "bulk"}, json=ids).json()
    assert ended["bulkSuccessfulResults"] == [first, second]
    assert list(ended["bulkErrorResults"]) == ["ghost"]
    for wf_id in (first, second):
        wf = workflow(ops, wf_id)
        assert (wf["status"], wf["reasonForIncompletion"]) == ("TERMINATED", "bulk")


def test_bulk_of_more_than_1000_ids_is_400(ops: TestClient) -> None:
    wf_id = start(ops, "three")
    response = ops.put("/api/workflow/bulk/pause", json=[wf_id] * 1001)
    assert_error(response, 400)
    assert workflow(ops, wf_id)["status"] == "RUNNING"
