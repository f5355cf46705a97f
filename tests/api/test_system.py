"""Queue administration, health, version, metrics, OpenAPI, Swagger UI and SDK leniencies."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from podium import __version__

from .conftest import register, two_step
from .drive import complete, poll, poll_none, start, work, workflow


def test_queue_sizes_all_verbose_and_polldata(client: TestClient) -> None:
    register(client, two_step())
    start(client, "two_step")
    start(client, "two_step")
    assert client.get("/api/tasks/queue/all").json() == {"step_a": 2}
    poll(client, "step_a", worker="w-1")
    sizes = client.get(
        "/api/tasks/queue/sizes", params=[("taskType", "step_a"), ("taskType", "step_b")]
    )
    assert sizes.json() == {"step_a": 1, "step_b": 0}
    assert client.get("/api/tasks/queue/size", params={"taskType": "step_a"}).json() == 1
    assert client.get("/api/tasks/queue/all").json() == {"step_a": 1}
    verbose = client.get("/api/tasks/queue/all/verbose").json()
    assert verbose["step_a"]["a"]["size"] == 1
    [data] = client.get("/api/tasks/queue/polldata", params={"taskType": "step_a"}).json()
    assert (data["queueName"], data["workerId"]) == ("step_a", "w-1")
    assert data["lastPollTime"] > 0
    assert "domain" not in data
    everything = client.get("/api/tasks/queue/polldata/all").json()
    assert [p["queueName"] for p in everything] == ["step_a"]


def test_requeue_pushes_back_a_scheduled_task_that_lost_its_queue_entry(
    client: TestClient,
) -> None:
    register(client, two_step())
    wf_id = start(client, "two_step")
    [scheduled] = workflow(client, wf_id)["tasks"]
    removed = client.delete(f"/api/tasks/queue/step_a/{scheduled['taskId']}")
    assert removed.status_code == 200
    poll_none(client, "step_a")
    response = client.post("/api/tasks/queue/requeue/step_a")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "1"
    assert poll(client, "step_a")["taskId"] == scheduled["taskId"]
    assert client.post("/api/tasks/queue/requeue/step_a").text == "0", "in progress: not re-pushed"


def test_health_endpoints(client: TestClient) -> None:
    conductor = {"healthResults": [], "suppressedHealthResults": [], "healthy": True}
    assert client.get("/health").json() == conductor
    assert client.get("/api/health").json() == conductor
    assert client.get("/actuator/health").json()["status"] == "UP"


def test_version_is_text(client: TestClient) -> None:
    response = client.get("/api/version")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == __version__


def sample(text: str, name: str) -> float:
    """The sum of every sample of metric `name` (all label sets)."""
    pattern = re.compile(rf"^{re.escape(name)}(?:\{{[^}}]*\}})? (\S+)$", re.MULTILINE)
    values = [float(v) for v in pattern.findall(text)]
    assert values, f"{name} not exposed"
    return sum(values)


def test_metrics_after_some_activity(client: TestClient) -> None:
    register(client, two_step())
    wf_id = start(client, "two_step")
    start(client, "two_step")
    work(client, "step_a", {"value": 1})
    for path in ("/metrics", "/actuator/prometheus"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        text = response.text
        assert sample(text, "workflow_start_success_total") == 2
        assert sample(text, "task_poll_total") >= 1
        assert 'task_queue_depth{taskType="step_a"} 1.0' in text
        assert sample(text, "task_update_seconds_count") == 1
    assert workflow(client, wf_id)["status"] == "RUNNING"


def test_openapi_documents(client: TestClient) -> None:
    for path in ("/api-docs", "/v3/api-docs"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        doc = response.json()
        assert doc["openapi"].startswith("3.")
        assert "/api/workflow" in doc["paths"]
        assert "/api/tasks/poll/batch/{tasktype}" in doc["paths"]


def test_swagger_ui_uses_only_local_assets(client: TestClient) -> None:
    response = client.get("/swagger-ui/index.html")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "cdn" not in html.lower()
    assert not re.search(r"https?://", html), "no absolute URL may be loaded"
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert assets
    assert all(a.startswith("/swagger-ui-static/") for a in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert "/api-docs" in html


def test_sdk_sends_python_booleans_and_none_strings(client: TestClient) -> None:
    register(client, two_step())
    overwrite = client.post("/api/metadata/workflow", json=two_step(), params={"overwrite": "True"})
    assert overwrite.status_code == 200
    started = client.post(
        "/api/workflow/two_step",
        params={"version": "None", "correlationId": "None", "priority": "None"},
        json={"x": 1},
    )
    assert started.status_code == 200, started.text
    wf = client.get(f"/api/workflow/{started.text}", params={"includeTasks": "False"}).json()
    assert "correlationId" not in wf
    assert wf["workflowVersion"] == 1
    assert not wf.get("tasks")
    polled = client.get(
        "/api/tasks/poll/batch/step_a", params={"workerid": "None", "domain": "None", "count": 1}
    )
    assert polled.status_code == 200, polled.text
    [task] = polled.json()
    assert "workerId" not in task
    assert "domain" not in task


def test_sdk_sends_empty_json_bodies_on_put_and_delete(client: TestClient) -> None:
    register(client, two_step())
    wf_id = start(client, "two_step")
    for method, path in (
        ("PUT", f"/api/workflow/{wf_id}/pause"),
        ("PUT", f"/api/workflow/{wf_id}/resume"),
        ("DELETE", f"/api/workflow/{wf_id}"),
    ):
        response = client.request(method, path, json={})
        assert response.status_code == 200, (method, path, response.text)
    assert workflow(client, wf_id)["status"] == "TERMINATED"
    removed = client.request(
        "DELETE", f"/api/workflow/{wf_id}/remove", params={"archiveWorkflow": "False"}, json={}
    )
    assert removed.status_code == 200, removed.text


def test_sdk_junk_skip_task_request_query_parameter_is_ignored(client: TestClient) -> None:
    register(client, two_step())
    wf_id = start(client, "two_step")
    a = poll(client, "step_a")
    junk = "{'task_input': None, 'task_output': None}"
    response = client.put(
        f"/api/workflow/{wf_id}/skiptask/b", params={"skipTaskRequest": junk}, json={}
    )
    assert response.status_code == 200, response.text
    complete(client, a, {"value": "A"})
    wf = workflow(client, wf_id)
    assert [(t["referenceTaskName"], t["status"]) for t in wf["tasks"]] == [
        ("a", "COMPLETED"),
        ("b", "SKIPPED"),
    ]
    assert wf["status"] == "COMPLETED"
