"""Operator actions across parent and child workflows."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import register
from .drive import JSON, complete, fail, poll, start, task_def, task_defs, wait_for, workflow


def _status(client: TestClient, wf_id: str, wanted: str) -> JSON:
    def check() -> JSON | None:
        wf = workflow(client, wf_id)
        return wf if wf["status"] == wanted else None

    return wait_for(check, what=f"workflow {wf_id} to be {wanted}")


def _parent_and_child(client: TestClient) -> None:
    task_defs(client, task_def("child_work", retryCount=0))
    register(
        client,
        {
            "name": "child",
            "version": 1,
            "tasks": [{"name": "child_work", "taskReferenceName": "work"}],
        },
    )
    register(
        client,
        {
            "name": "parent",
            "version": 1,
            "tasks": [
                {
                    "name": "sub",
                    "taskReferenceName": "sub",
                    "type": "SUB_WORKFLOW",
                    "subWorkflowParam": {"name": "child", "version": 1},
                }
            ],
        },
    )


def test_retry_with_resume_subworkflow_tasks_retries_inside_the_child(client: TestClient) -> None:
    _parent_and_child(client)
    parent_id = start(client, "parent")
    first = poll(client, "child_work", timeout_ms=4000)
    child_id = first["workflowInstanceId"]
    fail(client, first, "card declined")
    assert _status(client, parent_id, "FAILED")["tasks"][0]["status"] == "FAILED"

    response = client.post(
        f"/api/workflow/{parent_id}/retry", params={"resumeSubworkflowTasks": "True"}
    )
    assert response.status_code == 204, response.text
    assert workflow(client, child_id)["status"] == "RUNNING", "the same child runs again"
    parent = workflow(client, parent_id)
    assert parent["status"] == "RUNNING"
    assert parent["tasks"][0]["status"] == "IN_PROGRESS"
    assert parent["tasks"][0]["subworkflowChanged"] is True

    second = poll(client, "child_work", timeout_ms=4000)
    assert second["workflowInstanceId"] == child_id
    assert second["retryCount"] == 1
    complete(client, second, {"charged": True})
    done = _status(client, parent_id, "COMPLETED")
    assert done["output"]["charged"] is True
    assert len(done["tasks"]) == 1, "the parent's SUB_WORKFLOW task was reopened, not repeated"


def test_plain_retry_of_the_parent_starts_a_new_child(client: TestClient) -> None:
    _parent_and_child(client)
    parent_id = start(client, "parent")
    first = poll(client, "child_work", timeout_ms=4000)
    fail(client, first, "card declined")
    _status(client, parent_id, "FAILED")
    assert client.post(f"/api/workflow/{parent_id}/retry").status_code == 204
    second = poll(client, "child_work", timeout_ms=4000)
    assert second["workflowInstanceId"] != first["workflowInstanceId"]
    complete(client, second)
    done = _status(client, parent_id, "COMPLETED")
    assert [t["status"] for t in done["tasks"]] == ["FAILED", "COMPLETED"]


def test_rerun_from_a_task_of_the_child_reruns_the_child_and_reopens_the_parent(
    client: TestClient,
) -> None:
    _parent_and_child(client)
    parent_id = start(client, "parent")
    first = poll(client, "child_work", timeout_ms=4000)
    complete(client, first, {"charged": 1})
    _status(client, parent_id, "COMPLETED")
    response = client.post(
        f"/api/workflow/{parent_id}/rerun", json={"reRunFromTaskId": first["taskId"]}
    )
    assert response.status_code == 200, response.text
    assert workflow(client, parent_id)["status"] == "RUNNING"
    again = poll(client, "child_work", timeout_ms=4000)
    assert again["taskId"] == first["taskId"]
    complete(client, again, {"charged": 2})
    assert _status(client, parent_id, "COMPLETED")["output"]["charged"] == 2


def test_skipping_a_fork_branch_head_runs_only_the_other_branch(client: TestClient) -> None:
    task_defs(client, *(task_def(n, retryCount=0) for n in ("first", "left", "right")))
    fork = {
        "name": "fork",
        "taskReferenceName": "fork",
        "type": "FORK_JOIN",
        "forkTasks": [
            [{"name": "left", "taskReferenceName": "left"}],
            [{"name": "right", "taskReferenceName": "right"}],
        ],
    }
    join = {
        "name": "join",
        "taskReferenceName": "join",
        "type": "JOIN",
        "joinOn": ["left", "right"],
    }
    register(
        client,
        {
            "name": "skipper",
            "version": 1,
            "tasks": [{"name": "first", "taskReferenceName": "first"}, fork, join],
        },
    )
    wf_id = start(client, "skipper")
    assert client.put(f"/api/workflow/{wf_id}/skiptask/left", json={}).status_code == 200
    complete(client, poll(client, "first"))
    complete(client, poll(client, "right"))
    done = _status(client, wf_id, "COMPLETED")
    statuses = {t["referenceTaskName"]: t["status"] for t in done["tasks"]}
    assert statuses["left"] == "SKIPPED"
    assert statuses["join"] == "COMPLETED"
