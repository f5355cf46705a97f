"""Workflow test runs with mocks, search by tasks, and the smaller Conductor endpoints."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import register, two_step
from .drive import assert_error, poll, start, task_def, task_defs


def test_workflow_test_run_answers_tasks_from_mocks_attempt_by_attempt(
    client: TestClient,
) -> None:
    task_defs(client, task_def("step_a", retryCount=1), task_def("step_b"))
    register(client, two_step())
    mocks = {
        "a": [{"status": "FAILED", "output": {}}, {"status": "COMPLETED", "output": {"value": 7}}],
        "b": [{"status": "COMPLETED", "output": {"done": True}}],
    }
    response = client.post(
        "/api/workflow/test",
        json={"name": "two_step", "input": {"x": 1}, "taskRefToMockOutput": mocks},
    )
    assert response.status_code == 200, response.text
    run = response.json()
    assert run["status"] == "COMPLETED"
    attempts = [(t["referenceTaskName"], t["status"]) for t in run["tasks"]]
    assert attempts == [("a", "FAILED"), ("a", "COMPLETED"), ("b", "COMPLETED")]
    assert run["tasks"][2]["inputData"] == {"fromA": 7}
    assert run["output"] == {"done": True}
    assert run["taskToDomain"]["*"].startswith("podium-test-"), "real workers never see it"


def test_workflow_test_run_stops_where_mocks_run_out(client: TestClient) -> None:
    register(client, two_step())
    mocks = {"a": [{"output": {"value": 1}}]}
    run = client.post(
        "/api/workflow/test", json={"name": "two_step", "taskRefToMockOutput": mocks}
    ).json()
    assert run["status"] == "RUNNING"
    assert [(t["referenceTaskName"], t["status"]) for t in run["tasks"]] == [
        ("a", "COMPLETED"),
        ("b", "SCHEDULED"),
    ]
    # The private domain keeps it away from ordinary workers of step_b.
    assert client.get("/api/tasks/poll/batch/step_b", params={"timeout": 0}).json() == []


def test_search_by_tasks_finds_each_execution_once(client: TestClient) -> None:
    register(client, two_step())
    first, second = start(client, "two_step"), start(client, "two_step")
    found = client.get("/api/workflow/search-by-tasks", params={"query": "taskType = step_a"})
    assert found.status_code == 200
    body = found.json()
    assert body["totalHits"] == 2
    assert {row["workflowId"] for row in body["results"]} == {first, second}
    v2 = client.get("/api/workflow/search-by-tasks-v2", params={"query": "taskType = nothing"})
    assert v2.json() == {"totalHits": 0, "results": []}


def test_live_task_by_reference_name(client: TestClient) -> None:
    register(client, two_step())
    wf_id = start(client, "two_step")
    live = client.get(f"/api/tasks/in_progress/{wf_id}/a")
    assert live.status_code == 200
    assert live.json()["referenceTaskName"] == "a"
    assert client.get(f"/api/tasks/in_progress/{wf_id}/b").status_code == 204
    polled = poll(client, "step_a")
    assert polled["taskId"] == live.json()["taskId"]


def test_external_storage_is_refused_with_a_reason(client: TestClient) -> None:
    for path in ("/api/workflow/externalstoragelocation", "/api/tasks/externalstoragelocation"):
        response = client.get(path, params={"path": "x", "operation": "WRITE"})
        body = assert_error(response, 400)
        assert body["message"].startswith("External payload storage is not configured")


def test_environment_lists_only_conductor_env_variables(client: TestClient) -> None:
    assert client.get("/api/environment").json() == []
    assert_error(client.get("/api/environment/REGION"), 404)


def test_workflow_test_run_mocks_loop_iterations_by_suffixed_reference(
    client: TestClient,
) -> None:
    loop = {
        "name": "loop",
        "taskReferenceName": "loop",
        "type": "DO_WHILE",
        "loopCondition": "$.loop['iteration'] < 2",
        "loopOver": [{"name": "step_a", "taskReferenceName": "work"}],
    }
    register(client, {"name": "looped", "version": 1, "tasks": [loop]})
    mocks = {"work__1": [{"output": {"n": 1}}], "work__2": [{"output": {"n": 2}}]}
    run = client.post(
        "/api/workflow/test", json={"name": "looped", "taskRefToMockOutput": mocks}
    ).json()
    assert run["status"] == "COMPLETED"
    assert [t["referenceTaskName"] for t in run["tasks"]] == ["loop", "work__1", "work__2"]
    assert run["tasks"][0]["outputData"]["2"] == {"work": {"n": 2}}
