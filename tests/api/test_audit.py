"""The audit log: every state-changing request, who made it, from where, on what, and how it
ended; readable by admins at `GET /api/audit`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from podium.config import Settings
from podium.server import build_app
from tests.api.test_auth import app_and_token, secured


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    with secured(database) as c:
        yield c


def audit(client: TestClient, admin: dict[str, str], **params: Any) -> dict[str, Any]:
    answer = client.get("/api/audit", params=params, headers=admin)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def record_of(records: list[dict[str, Any]], method: str, path: str) -> dict[str, Any]:
    """The one record of a request that succeeded."""
    [found] = [r for r in records if (r["method"], r["path"], r["status"]) == (method, path, 200)]
    return found


def test_changes_and_refusals_are_recorded_with_who_what_and_how_they_ended(
    client: TestClient,
) -> None:
    admin_id, admin_token = app_and_token(client, "ADMIN")
    admin = {"X-Authorization": admin_token}
    worker_id, worker_token = app_and_token(client, "WORKER")
    definition = {
        "name": "audited",
        "version": 1,
        "tasks": [{"name": "t", "taskReferenceName": "t"}],
    }
    assert client.post("/api/metadata/workflow", json=definition, headers=admin).status_code == 200
    workflow_id = client.post("/api/workflow/audited", json={}, headers=admin).text
    assert client.delete(f"/api/workflow/{workflow_id}", headers=admin).status_code == 200
    refused = client.post(
        "/api/metadata/workflow", json=definition, headers={"X-Authorization": worker_token}
    )
    assert refused.status_code == 403
    assert client.post("/api/workflow/audited", json={}).status_code == 401
    assert (
        client.post("/api/workflow/no_such_definition", json={}, headers=admin).status_code == 404
    )

    log = audit(client, admin)
    records = log["results"]
    assert log["totalHits"] == len(records) == 6
    assert [r["seq"] for r in records] == sorted((r["seq"] for r in records), reverse=True)
    registered = record_of(records, "POST", "/api/metadata/workflow")
    started = record_of(records, "POST", "/api/workflow/audited")
    terminated = record_of(records, "DELETE", f"/api/workflow/{workflow_id}")
    for record in (registered, started, terminated):
        assert (record["principal"], record["status"]) == (f"app:{admin_id}", 200)
        assert record["address"]
        assert record["node"]
    assert registered["resource"] == "WORKFLOW_DEF:audited"
    assert started["resource"] == terminated["resource"] == f"workflow:{workflow_id}"
    failures = {(r["principal"], r["status"], r["path"]) for r in records if r["status"] >= 400}
    assert failures == {
        (f"app:{worker_id}", 403, "/api/metadata/workflow"),
        ("anonymous", 401, "/api/workflow/audited"),
        (f"app:{admin_id}", 404, "/api/workflow/no_such_definition"),
    }


def test_the_log_filters_by_principal_resource_and_time_and_pages(client: TestClient) -> None:
    admin_id, admin_token = app_and_token(client, "ADMIN")
    admin = {"X-Authorization": admin_token}
    definition = {"name": "paged", "version": 1, "tasks": [{"name": "t", "taskReferenceName": "t"}]}
    assert client.post("/api/metadata/workflow", json=definition, headers=admin).status_code == 200
    ids = [client.post("/api/workflow/paged", json={}, headers=admin).text for _ in range(3)]
    everything = audit(client, admin)["results"]
    assert audit(client, admin, resource=f"workflow:{ids[1]}")["totalHits"] == 1
    assert audit(client, admin, principal=f"app:{admin_id}")["totalHits"] == 4
    assert audit(client, admin, principal="app:nobody")["results"] == []
    newest = everything[0]
    since = audit(client, admin, since=newest["at"])["results"]
    assert newest in since
    assert all(r["at"] >= newest["at"] for r in since)
    until = audit(client, admin, until=everything[-1]["at"])["results"]
    assert all(r["at"] <= everything[-1]["at"] for r in until)
    page = audit(client, admin, start=1, size=2)
    assert (page["totalHits"], page["results"]) == (4, everything[1:3])
    for bad in ({"size": 5000}, {"start": -1}, {"since": "yesterday"}):
        assert client.get("/api/audit", params=bad, headers=admin).status_code == 400


def test_worker_calls_are_left_to_the_execution_history(client: TestClient) -> None:
    _admin_id, admin_token = app_and_token(client, "ADMIN")
    admin = {"X-Authorization": admin_token}
    definition = {
        "name": "worked",
        "version": 1,
        "tasks": [{"name": "w", "taskReferenceName": "w"}],
    }
    assert client.post("/api/metadata/workflow", json=definition, headers=admin).status_code == 200
    workflow_id = client.post("/api/workflow/worked", json={}, headers=admin).text
    [task] = client.get("/api/tasks/poll/batch/w", headers=admin, params={"timeout": 1}).json()
    result = {"workflowInstanceId": workflow_id, "taskId": task["taskId"], "status": "COMPLETED"}
    assert client.post("/api/tasks/update-v2", json=result, headers=admin).status_code in (200, 204)
    paths = [r["path"] for r in audit(client, admin)["results"]]
    assert paths == ["/api/workflow/worked", "/api/metadata/workflow"]


def test_without_authentication_changes_are_recorded_as_anonymous(database: str) -> None:
    with TestClient(build_app(Settings(db=database))) as c:
        definition = {
            "name": "open",
            "version": 1,
            "tasks": [{"name": "t", "taskReferenceName": "t"}],
        }
        assert c.post("/api/metadata/workflow", json=definition).status_code == 200
        [record] = c.get("/api/audit").json()["results"]
        assert (record["principal"], record["resource"]) == ("anonymous", "WORKFLOW_DEF:open")
