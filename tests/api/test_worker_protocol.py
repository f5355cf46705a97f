"""Poll, update and update-v2 as the SDKs use them, through the HTTP API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import register, two_step


def start(client: TestClient, name: str = "two_step", **body: object) -> str:
    response = client.post("/api/workflow", json={"name": name, **body})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return str(response.text)


def test_sequential_workflow_end_to_end(client: TestClient) -> None:
    register(client, two_step())
    wf_id = start(client, input={"x": 1})
    polled = client.get("/api/tasks/poll/batch/step_a", params={"workerid": "w1", "count": 5})
    assert polled.status_code == 200
    [task] = polled.json()
    assert task["inputData"] == {"x": 1}
    assert task["status"] == "IN_PROGRESS"
    assert task["workerId"] == "w1"
    assert task["pollCount"] == 1
    result = {
        "workflowInstanceId": wf_id,
        "taskId": task["taskId"],
        "status": "COMPLETED",
        "outputData": {"value": "A"},
        "workerId": "w1",
    }
    updated = client.post("/api/tasks", json=result)
    assert updated.status_code == 200
    assert updated.text == task["taskId"]
    [task_b] = client.get("/api/tasks/poll/batch/step_b", params={"workerid": "w1"}).json()
    assert task_b["inputData"] == {"fromA": "A"}
    done = {
        "workflowInstanceId": wf_id,
        "taskId": task_b["taskId"],
        "status": "COMPLETED",
        "outputData": {"result": "B"},
    }
    assert client.post("/api/tasks/update-v2", json=done).status_code == 204
    wf = client.get(f"/api/workflow/{wf_id}").json()
    assert wf["status"] == "COMPLETED"
    assert wf["output"] == {"result": "B"}
    assert [t["referenceTaskName"] for t in wf["tasks"]] == ["a", "b"]
    assert wf["workflowDefinition"]["name"] == "two_step"


def test_update_v2_returns_the_next_task_of_the_same_type(client: TestClient) -> None:
    register(client, two_step())
    first, second = start(client), start(client)
    [task] = client.get("/api/tasks/poll/batch/step_a", params={"workerid": "w"}).json()
    result = {
        "workflowInstanceId": task["workflowInstanceId"],
        "taskId": task["taskId"],
        "status": "COMPLETED",
        "workerId": "w",
    }
    response = client.post("/api/tasks/update-v2", json=result)
    assert response.status_code == 200
    nxt = response.json()
    assert nxt["taskType"] == "step_a"
    assert nxt["status"] == "IN_PROGRESS"
    assert {task["workflowInstanceId"], nxt["workflowInstanceId"]} == {first, second}


def test_empty_batch_poll_is_an_empty_list_and_single_poll_is_204(client: TestClient) -> None:
    response = client.get("/api/tasks/poll/batch/nothing", params={"timeout": 10})
    assert response.status_code == 200
    assert response.json() == []
    assert client.get("/api/tasks/poll/nothing").status_code == 204


def test_in_progress_with_callback_requeues_later(client: TestClient) -> None:
    register(client, two_step())
    wf_id = start(client)
    [task] = client.get("/api/tasks/poll/batch/step_a").json()
    result = {
        "workflowInstanceId": wf_id,
        "taskId": task["taskId"],
        "status": "IN_PROGRESS",
        "callbackAfterSeconds": 60,
        "outputData": {"progress": 50},
    }
    assert client.post("/api/tasks", json=result).status_code == 200
    stored = client.get(f"/api/tasks/{task['taskId']}").json()
    assert stored["status"] == "SCHEDULED"
    assert stored["callbackAfterSeconds"] == 60
    assert client.get("/api/tasks/poll/batch/step_a", params={"timeout": 0}).json() == []
    assert client.post(f"/api/workflow/{wf_id}/resetcallbacks").status_code == 204
    [again] = client.get("/api/tasks/poll/batch/step_a").json()
    assert again["taskId"] == task["taskId"]
    assert again["pollCount"] == 2


def test_extend_lease_keeps_status_and_output(client: TestClient) -> None:
    register(client, two_step())
    wf_id = start(client)
    [task] = client.get("/api/tasks/poll/batch/step_a").json()
    lease = {
        "workflowInstanceId": wf_id,
        "taskId": task["taskId"],
        "status": "IN_PROGRESS",
        "extendLease": True,
    }
    assert client.post("/api/tasks", json=lease).status_code == 200
    stored = client.get(f"/api/tasks/{task['taskId']}").json()
    assert stored["status"] == "IN_PROGRESS"
    assert stored["updateTime"] >= task["updateTime"]


def test_task_logs_from_results_and_raw_text(client: TestClient) -> None:
    register(client, two_step())
    wf_id = start(client)
    [task] = client.get("/api/tasks/poll/batch/step_a").json()
    raw = client.post(
        f"/api/tasks/{task['taskId']}/log",
        content=b'a \\"quoted\\" line',
        headers={"content-type": "application/json"},
    )
    assert raw.status_code == 200
    result = {
        "workflowInstanceId": wf_id,
        "taskId": task["taskId"],
        "status": "COMPLETED",
        "logs": [{"log": "from worker", "createdTime": 1795770963}],
    }
    client.post("/api/tasks", json=result)
    logs = client.get(f"/api/tasks/{task['taskId']}/log").json()
    assert [entry["log"] for entry in logs] == ['a \\"quoted\\" line', "from worker"]
    assert logs[1]["createdTime"] == 1795770963000, "epoch seconds become milliseconds"
