"""Helpers that drive the API as a worker and an operator would, and check Conductor's errors."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from fastapi.testclient import TestClient

T = TypeVar("T")

JSON = dict[str, Any]


def wait_for(
    condition: Callable[[], T | None], *, timeout: float = 5.0, what: str = "condition"
) -> T:
    """Re-check `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def start(client: TestClient, name: str, **body: Any) -> str:
    response = client.post("/api/workflow", json={"name": name, **body})
    assert response.status_code == 200, response.text
    return str(response.text)


def workflow(client: TestClient, workflow_id: str) -> JSON:
    response = client.get(f"/api/workflow/{workflow_id}")
    assert response.status_code == 200, response.text
    found: JSON = response.json()
    return found


def task(client: TestClient, task_id: str) -> JSON:
    response = client.get(f"/api/tasks/{task_id}")
    assert response.status_code == 200, response.text
    found: JSON = response.json()
    return found


def poll(
    client: TestClient, task_type: str, worker: str = "worker-1", timeout_ms: int = 2000
) -> JSON:
    """Long-poll one task of `task_type`; fails unless exactly one arrives."""
    response = client.get(
        f"/api/tasks/poll/batch/{task_type}",
        params={"workerid": worker, "count": 1, "timeout": timeout_ms},
    )
    assert response.status_code == 200, response.text
    tasks: list[JSON] = response.json()
    assert len(tasks) == 1, f"expected one {task_type} task, got {tasks}"
    return tasks[0]


def poll_none(client: TestClient, task_type: str) -> None:
    response = client.get(f"/api/tasks/poll/batch/{task_type}", params={"timeout": 0})
    assert response.status_code == 200, response.text
    assert response.json() == [], f"no {task_type} task expected"


def report(
    client: TestClient,
    polled: JSON,
    status: str,
    output: JSON | None = None,
    reason: str | None = None,
) -> httpx.Response:
    body: JSON = {
        "workflowInstanceId": polled["workflowInstanceId"],
        "taskId": polled["taskId"],
        "status": status,
        "outputData": output or {},
        "workerId": polled.get("workerId"),
    }
    if reason is not None:
        body["reasonForIncompletion"] = reason
    response: httpx.Response = client.post("/api/tasks", json=body)
    return response


def complete(client: TestClient, polled: JSON, output: JSON | None = None) -> None:
    response = report(client, polled, "COMPLETED", output)
    assert response.status_code == 200, response.text
    assert response.text == polled["taskId"]


def fail(client: TestClient, polled: JSON, reason: str = "boom") -> None:
    response = report(client, polled, "FAILED", reason=reason)
    assert response.status_code == 200, response.text


def work(client: TestClient, task_type: str, output: JSON | None = None) -> JSON:
    """Poll one task of `task_type` and complete it; returns the polled task."""
    polled = poll(client, task_type)
    complete(client, polled, output)
    return polled


def assert_error(response: httpx.Response, status: int, message: str | None = None) -> JSON:
    """Conductor's ErrorResponse: `{status, message, instance, retryable: false}`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body: JSON = response.json()
    assert body["status"] == status, body
    assert body["retryable"] is False, body
    assert isinstance(body.get("instance"), str), f"no instance in {body}"
    assert isinstance(body["message"], str), body
    assert body["message"], body
    if message is not None:
        assert body["message"] == message, body
    return body


def validation_messages(body: JSON) -> list[str]:
    assert body["message"] == "Validation failed, check below errors for detail.", body
    return [str(v["message"]) for v in body["validationErrors"]]


def search_total(client: TestClient, **params: Any) -> int:
    response = client.get("/api/workflow/search", params=params)
    assert response.status_code == 200, response.text
    return int(response.json()["totalHits"])


def definitions(client: TestClient) -> list[JSON]:
    response = client.get("/api/metadata/workflow")
    assert response.status_code == 200, response.text
    found: list[JSON] = response.json()
    return found


def task_defs(client: TestClient, *defs: JSON) -> None:
    response = client.post("/api/metadata/taskdefs", json=list(defs))
    assert response.status_code == 200, response.text


def task_def(name: str, **extra: Any) -> JSON:
    return {
        "name": name,
        "retryCount": 0,
        "retryDelaySeconds": 0,
        "timeoutSeconds": 120,
        "responseTimeoutSeconds": 60,
        "ownerEmail": "test@harness.com",
        **extra,
    }


def refs_and_statuses(wf: JSON) -> list[tuple[str, str]]:
    return [(t["referenceTaskName"], t["status"]) for t in wf["tasks"]]
