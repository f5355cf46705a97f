"""The execution history names who did what: with authentication on, an operator's action is
recorded with the principal (`app:<id>`, a user id); without, as `api`."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from podium.config import Settings
from podium.server import build_app
from tests.api.test_auth import app_and_token, secured

TWO_STEPS = {
    "name": "operated",
    "version": 1,
    "tasks": [
        {"name": "first", "taskReferenceName": "first"},
        {"name": "second", "taskReferenceName": "second"},
    ],
}


def history(client: TestClient, workflow_id: str, headers: dict[str, str]) -> list[Any]:
    answer = client.get(f"/api/workflow/{workflow_id}/history", headers=headers)
    assert answer.status_code == 200, answer.text
    records: list[Any] = answer.json()
    return records


def actors(records: list[Any], *events: str) -> list[tuple[str, str]]:
    return [(r["event"], r["actor"]) for r in records if r["event"] in events]


def updates(records: list[Any]) -> list[tuple[str, str]]:
    """(step, actor) of every task update."""
    return [(r["taskReferenceName"], r["actor"]) for r in records if r["event"] == "task_updated"]


def operate(client: TestClient, headers: dict[str, str]) -> str:
    """Start, pause, resume, complete the first step by hand, let a worker fail the second,
    retry, terminate: the id of the execution."""
    no_retry = [{"name": "second", "retryCount": 0, "responseTimeoutSeconds": 60}]
    ok = client.post("/api/metadata/taskdefs", json=no_retry, headers=headers)
    assert ok.status_code == 200, ok.text
    ok = client.post("/api/metadata/workflow", json=TWO_STEPS, headers=headers)
    assert ok.status_code == 200, ok.text
    workflow_id = client.post("/api/workflow/operated", json={}, headers=headers).text
    for action in ("pause", "resume"):
        answer = client.put(f"/api/workflow/{workflow_id}/{action}", headers=headers)
        assert answer.status_code == 200, answer.text
    by_hand = client.post(f"/api/tasks/{workflow_id}/first/COMPLETED", json={}, headers=headers)
    assert by_hand.status_code == 200, by_hand.text
    [task] = client.get(
        "/api/tasks/poll/batch/second", params={"workerid": "w-7", "timeout": 1}, headers=headers
    ).json()
    result = {"workflowInstanceId": workflow_id, "taskId": task["taskId"], "status": "FAILED"}
    assert client.post("/api/tasks", json=result, headers=headers).status_code == 200
    assert client.post(f"/api/workflow/{workflow_id}/retry", headers=headers).status_code == 204
    assert client.delete(f"/api/workflow/{workflow_id}", headers=headers).status_code == 200
    return str(workflow_id)


OPERATOR_EVENTS = (
    "workflow_started",
    "workflow_paused",
    "workflow_resumed",
    "workflow_retried",
    "workflow_terminated",
)


def test_with_authentication_the_history_names_the_principal(database: str) -> None:
    with secured(database) as client:
        app_id, token = app_and_token(client, "ADMIN")
        headers = {"X-Authorization": token}
        records = history(client, operate(client, headers), headers)
    me = f"app:{app_id}"
    assert actors(records, *OPERATOR_EVENTS) == [(event, me) for event in OPERATOR_EVENTS]
    updates = [
        (r["taskReferenceName"], r["actor"]) for r in records if r["event"] == "task_updated"
    ]
    # By hand, the operator; through the worker protocol, the worker it names.
    assert updates == [("first", me), ("second", "worker:w-7")]


def test_without_authentication_the_history_names_the_api(database: str) -> None:
    with TestClient(build_app(Settings(db=database)), raise_server_exceptions=False) as client:
        records = history(client, operate(client, {}), {})
    assert actors(records, *OPERATOR_EVENTS) == [(event, "api") for event in OPERATOR_EVENTS]
    updates = [
        (r["taskReferenceName"], r["actor"]) for r in records if r["event"] == "task_updated"
    ]
    assert updates == [("first", "worker:-"), ("second", "worker:w-7")]
