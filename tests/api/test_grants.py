"""Per-resource grants: owners of what they create, TAG grants, narrowed lists, searches and
bulk operations, and grants or revocations that take effect at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from podium.config import Settings
from podium.server import build_app
from tests.api.test_auth import app_and_token

Headers = dict[str, str]


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    """The app with authentication on, on each database."""
    settings = Settings(db=database, auth=True, sweep_interval=5)
    with TestClient(build_app(settings), raise_server_exceptions=False) as c:
        yield c


def caller(client: TestClient, role: str, name: str) -> tuple[str, Headers]:
    """(its subject id, its headers) of a new application holding one role."""
    app_id, token = app_and_token(client, role, name)
    return f"app:{app_id}", {"X-Authorization": token}


@pytest.fixture
def admin(client: TestClient) -> Headers:
    return caller(client, "ADMIN", "admin")[1]


def workflow(name: str, *tags: str, version: int = 1) -> dict[str, object]:
    step = {"name": f"{name}_task", "taskReferenceName": "step", "type": "SIMPLE"}
    tagged = [{"key": t.split(":")[0], "value": t.split(":")[1]} for t in tags]
    return {"name": name, "version": version, "tasks": [step], "tags": tagged}


def grant(client: TestClient, admin: Headers, body: dict[str, object], *, on: bool) -> None:
    method = "POST" if on else "DELETE"
    answer = client.request(method, "/api/auth/authorization", json=body, headers=admin)
    assert answer.status_code == 200, answer.text


def access(subject: str, target: str, name: str, *rights: str) -> dict[str, object]:
    return {
        "subject": {"type": "USER", "id": subject},
        "target": {"type": target, "id": name},
        "access": list(rights),
    }


def define(client: TestClient, headers: Headers, body: dict[str, object]) -> None:
    answer = client.post("/api/metadata/workflow", json=body, headers=headers)
    assert answer.status_code == 200, answer.text


def start(client: TestClient, headers: Headers, name: str) -> str:
    answer = client.post(f"/api/workflow/{name}", json={}, headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.text)


def test_a_user_owns_what_it_creates_and_another_user_may_not_touch_it(
    client: TestClient, admin: Headers
) -> None:
    alice_id, alice = caller(client, "USER", "alice")
    _bob_id, bob = caller(client, "USER", "bob")
    task = client.post("/api/metadata/taskdefs", json=[{"name": "alice_wf_task"}], headers=alice)
    assert task.status_code == 200, task.text
    created = client.post("/api/metadata/workflow", json=workflow("alice_wf"), headers=alice)
    assert created.status_code == 200, created.text
    owners = client.get("/api/auth/authorization/WORKFLOW_DEF/alice_wf", headers=admin).json()
    assert owners == {a: [{"type": "USER", "id": alice_id}] for a in owners}
    assert sorted(owners) == ["DELETE", "EXECUTE", "READ", "UPDATE"]

    assert client.get("/api/metadata/workflow/alice_wf", headers=alice).status_code == 200
    assert client.get("/api/metadata/taskdefs/alice_wf_task", headers=alice).status_code == 200
    changed = workflow("alice_wf") | {"description": "changed"}
    assert client.put("/api/metadata/workflow", json=[changed], headers=alice).status_code == 200
    workflow_id = start(client, alice, "alice_wf")
    assert client.get(f"/api/workflow/{workflow_id}", headers=alice).status_code == 200
    assert client.put(f"/api/workflow/{workflow_id}/pause", headers=alice).status_code == 200

    refused = [
        client.get("/api/metadata/workflow/alice_wf", headers=bob),
        client.get("/api/metadata/taskdefs/alice_wf_task", headers=bob),
        client.put("/api/metadata/workflow", json=[changed], headers=bob),
        client.post("/api/metadata/workflow", json=workflow("alice_wf", version=2), headers=bob),
        client.post("/api/metadata/taskdefs", json=[{"name": "alice_wf_task"}], headers=bob),
        client.post("/api/workflow/alice_wf", json={}, headers=bob),
        client.post("/api/workflow", json={"name": "alice_wf"}, headers=bob),
        client.get(f"/api/workflow/{workflow_id}", headers=bob),
        client.put(f"/api/workflow/{workflow_id}/resume", headers=bob),
        client.delete(f"/api/workflow/{workflow_id}", headers=bob),
        client.delete("/api/metadata/workflow/alice_wf/1", headers=bob),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert "alice_wf" not in client.get("/api/metadata/workflow/names", headers=bob).json()
    assert client.get("/api/metadata/workflow/names", headers=alice).json() == ["alice_wf"]
    tasks = client.get("/api/metadata/taskdefs", headers=alice).json()
    assert [t["name"] for t in tasks] == ["alice_wf_task"]

    assert client.delete(f"/api/workflow/{workflow_id}", headers=alice).status_code == 200
    assert client.delete("/api/metadata/workflow/alice_wf/1", headers=alice).status_code == 200


def test_a_creator_whose_roles_write_every_definition_records_no_owner(
    client: TestClient, admin: Headers
) -> None:
    _id, manager = caller(client, "METADATA_MANAGER", "manager")
    answer = client.post("/api/metadata/workflow", json=workflow("managed_wf"), headers=manager)
    assert answer.status_code == 200
    assert client.get("/api/auth/authorization/WORKFLOW_DEF/managed_wf", headers=admin).json() == {}


def test_a_tag_grant_covers_every_definition_carrying_the_tag_at_once(
    client: TestClient, admin: Headers
) -> None:
    carol_id, carol = caller(client, "USER", "carol")
    for body in (workflow("prod_one", "env:prod"), workflow("dev_one", "env:dev")):
        assert client.post("/api/metadata/workflow", json=body, headers=admin).status_code == 200
    grant(client, admin, access(carol_id, "TAG", "env:prod", "READ", "EXECUTE"), on=True)
    assert client.get("/api/metadata/workflow/prod_one", headers=carol).status_code == 200
    assert client.get("/api/metadata/workflow/dev_one", headers=carol).status_code == 403
    assert client.get("/api/metadata/workflow/names", headers=carol).json() == ["prod_one"]
    start(client, carol, "prod_one")

    retagged = workflow("dev_one", "env:prod")  # a definition gains the tag: covered at once
    assert client.put("/api/metadata/workflow", json=[retagged], headers=admin).status_code == 200
    assert client.get("/api/metadata/workflow/dev_one", headers=carol).status_code == 200
    grant(client, admin, access(carol_id, "TAG", "env:prod", "EXECUTE"), on=False)
    assert client.post("/api/workflow/prod_one", json={}, headers=carol).status_code == 403
    assert client.get("/api/metadata/workflow/prod_one", headers=carol).status_code == 200


def test_grants_and_revocations_take_effect_at_once(client: TestClient, admin: Headers) -> None:
    dave_id, dave = caller(client, "USER", "dave")
    define(client, admin, workflow("shared_wf"))
    assert client.post("/api/workflow/shared_wf", json={}, headers=dave).status_code == 403
    grant(client, admin, access(dave_id, "WORKFLOW_DEF", "shared_wf", "EXECUTE"), on=True)
    workflow_id = start(client, dave, "shared_wf")
    assert client.get(f"/api/workflow/{workflow_id}", headers=dave).status_code == 403  # no READ
    grant(client, admin, access(dave_id, "WORKFLOW_DEF", "shared_wf", "EXECUTE"), on=False)
    assert client.post("/api/workflow/shared_wf", json={}, headers=dave).status_code == 403
    role_grant: dict[str, object] = {
        "subject": {"type": "ROLE", "id": "USER"},
        "target": {"type": "WORKFLOW_DEF", "id": "shared_wf"},
        "access": ["READ"],
    }
    grant(client, admin, role_grant, on=True)  # a grant to a role reaches every holder
    assert client.get(f"/api/workflow/{workflow_id}", headers=dave).status_code == 200
    grant(client, admin, role_grant, on=False)
    assert client.get(f"/api/workflow/{workflow_id}", headers=dave).status_code == 403


def test_searches_and_bulk_operations_are_narrowed_to_the_callers_rights(
    client: TestClient, admin: Headers
) -> None:
    _erin_id, erin = caller(client, "USER", "erin")
    _frank_id, frank = caller(client, "USER", "frank")
    define(client, erin, workflow("erin_wf"))
    define(client, admin, workflow('other "wf"'))
    mine = [start(client, erin, "erin_wf") for _ in range(3)]
    other = start(client, admin, 'other "wf"')

    for path in ("/api/workflow/search", "/api/workflow/search-v2"):
        found = client.get(path, headers=erin, params={"query": "status = RUNNING"}).json()
        assert found["totalHits"] == 3
        assert sorted(r["workflowId"] for r in found["results"]) == sorted(mine)
    everyone = client.get("/api/workflow/search", headers=admin).json()
    assert everyone["totalHits"] >= 4
    assert client.get("/api/workflow/search", headers=frank).json() == {
        "totalHits": 0,
        "results": [],
    }
    tasks = client.get("/api/tasks/search", headers=erin, params={"size": 50}).json()
    assert {t["workflowId"] for t in tasks["results"]} == set(mine)
    by_tasks = client.get("/api/workflow/search-by-tasks", headers=erin).json()
    assert by_tasks["totalHits"] == 3

    answer = client.post("/api/workflow/bulk/terminate", json=[mine[0], other], headers=erin)
    assert answer.status_code == 200
    assert answer.json()["bulkSuccessfulResults"] == [mine[0]]
    assert list(answer.json()["bulkErrorResults"]) == [other]
    fetched = client.post("/api/workflow/bulk/search", json=[mine[1], other], headers=erin).json()
    assert [w["workflowId"] for w in fetched["bulkSuccessfulResults"]] == [mine[1]]
    assert list(fetched["bulkErrorResults"]) == [other]
    still = client.get(f"/api/workflow/{other}", headers=admin).json()
    assert still["status"] == "RUNNING"
