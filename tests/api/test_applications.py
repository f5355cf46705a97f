"""Applications, their access keys, roles and tags (`/api/applications...`), as Orkes serves
them to conductor-python's AuthorizationClient; and changes to them take effect at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_auth import app_and_token, secured, token

APP_FIELDS = {"id", "name", "roles", "createdBy", "createTime", "updatedBy", "updateTime"}


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    with secured(database) as c:
        yield c


@pytest.fixture
def admin(client: TestClient) -> dict[str, str]:
    return {"X-Authorization": app_and_token(client, "ADMIN", "root")[1]}


def ok(answer: Any) -> Any:
    assert answer.status_code == 200, answer.text
    return answer.json()


def refused(answer: Any, status: int) -> dict[str, Any]:
    """Conductor's error JSON with this status."""
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    assert body["status"] == status
    assert body["message"]
    return body


def new_application(client: TestClient, headers: dict[str, str], name: str = "billing") -> str:
    created = ok(client.post("/api/applications", json={"name": name}, headers=headers))
    return str(created["id"])


def new_key(client: TestClient, headers: dict[str, str], app_id: str) -> tuple[str, str]:
    key = ok(client.post(f"/api/applications/{app_id}/accessKeys", headers=headers))
    assert set(key) == {"id", "secret"}
    return key["id"], key["secret"]


def test_an_application_is_created_listed_read_renamed_and_deleted(
    client: TestClient, admin: dict[str, str]
) -> None:
    created = ok(client.post("/api/applications", json={"name": " billing "}, headers=admin))
    assert set(created) == APP_FIELDS
    assert (created["name"], created["roles"]) == ("billing", [])
    assert created["createdBy"].startswith("app:")
    app_id = created["id"]
    assert ok(client.get(f"/api/applications/{app_id}", headers=admin)) == created
    listed = ok(client.get("/api/applications", headers=admin))
    assert [a["name"] for a in listed if a["id"] == app_id] == ["billing"]
    renamed = ok(client.put(f"/api/applications/{app_id}", json={"name": "ar"}, headers=admin))
    assert (renamed["id"], renamed["name"]) == (app_id, "ar")
    assert renamed["updateTime"] >= created["updateTime"]
    assert ok(client.get(f"/api/applications/{app_id}", headers=admin))["name"] == "ar"
    assert client.delete(f"/api/applications/{app_id}", headers=admin).status_code == 200
    refused(client.get(f"/api/applications/{app_id}", headers=admin), 404)
    refused(client.delete(f"/api/applications/{app_id}", headers=admin), 404)


@pytest.mark.parametrize("body", [{}, [], {"name": ""}, {"name": "  "}, {"name": 5}, "x"])
def test_an_application_needs_a_name(
    client: TestClient, admin: dict[str, str], body: object
) -> None:
    refused(client.post("/api/applications", json=body, headers=admin), 400)
    app_id = new_application(client, admin)
    refused(client.put(f"/api/applications/{app_id}", json=body, headers=admin), 400)
    assert ok(client.get(f"/api/applications/{app_id}", headers=admin))["name"] == "billing"


def test_unknown_applications_and_keys_are_404(client: TestClient, admin: dict[str, str]) -> None:
    for method, path in [
        ("GET", "/api/applications/nope"),
        ("PUT", "/api/applications/nope"),
        ("DELETE", "/api/applications/nope"),
        ("POST", "/api/applications/nope/accessKeys"),
        ("GET", "/api/applications/nope/accessKeys"),
        ("DELETE", "/api/applications/nope/accessKeys/k"),
        ("POST", "/api/applications/nope/accessKeys/k/status"),
        ("POST", "/api/applications/nope/roles/WORKER"),
        ("DELETE", "/api/applications/nope/roles/WORKER"),
        ("GET", "/api/applications/nope/tags"),
        ("PUT", "/api/applications/nope/tags"),
        ("DELETE", "/api/applications/nope/tags"),
        ("GET", "/api/applications/key/nope"),
    ]:
        body = [] if path.endswith("/tags") else {"name": "x"}
        answer = client.request(method, path, json=body, headers=admin)
        refused(answer, 404)
    app_id, other = new_application(client, admin), new_application(client, admin, "other")
    key_id, _secret = new_key(client, admin, other)
    # A key of another application is not this application's.
    refused(client.delete(f"/api/applications/{app_id}/accessKeys/{key_id}", headers=admin), 404)
    status = f"/api/applications/{app_id}/accessKeys/{key_id}/status"
    refused(client.post(status, headers=admin), 404)


def test_keys_show_their_secret_once_and_list_without_it(
    client: TestClient, admin: dict[str, str]
) -> None:
    app_id = new_application(client, admin)
    key_id, secret = new_key(client, admin, app_id)
    listed = client.get(f"/api/applications/{app_id}/accessKeys", headers=admin)
    assert secret not in listed.text
    assert "scrypt" not in listed.text  # nor its hash
    [key] = ok(listed)
    assert set(key) == {"id", "createdAt", "status"}
    assert (key["id"], key["status"]) == (key_id, "ACTIVE")
    owner = ok(client.get(f"/api/applications/key/{key_id}", headers=admin))
    assert (owner["id"], owner["name"]) == (app_id, "billing")
    assert secret not in client.get("/api/audit", headers=admin).text
    deleted = client.delete(f"/api/applications/{app_id}/accessKeys/{key_id}", headers=admin)
    assert deleted.status_code == 200
    assert ok(client.get(f"/api/applications/{app_id}/accessKeys", headers=admin)) == []
    refused(client.delete(f"/api/applications/{app_id}/accessKeys/{key_id}", headers=admin), 404)


def test_roles_are_added_and_removed_and_unknown_roles_refused(
    client: TestClient, admin: dict[str, str]
) -> None:
    app_id = new_application(client, admin)
    added = ok(client.post(f"/api/applications/{app_id}/roles/WORKER", headers=admin))
    assert added["roles"] == ["WORKER"]
    ok(client.post(f"/api/applications/{app_id}/roles/METADATA_API", headers=admin))
    ok(client.post(f"/api/applications/{app_id}/roles/WORKER", headers=admin))  # idempotent
    got = ok(client.get(f"/api/applications/{app_id}", headers=admin))
    assert got["roles"] == ["METADATA_API", "WORKER"]
    removed = ok(client.delete(f"/api/applications/{app_id}/roles/WORKER", headers=admin))
    assert removed["roles"] == ["METADATA_API"]
    body = refused(client.post(f"/api/applications/{app_id}/roles/SUPERUSER", headers=admin), 400)
    assert "SUPERUSER" in body["message"]
    refused(client.delete(f"/api/applications/{app_id}/roles/SUPERUSER", headers=admin), 400)
    assert ok(client.get(f"/api/applications/{app_id}", headers=admin))["roles"] == ["METADATA_API"]


def test_an_application_manager_may_not_give_or_touch_admin_only_roles(
    client: TestClient, admin: dict[str, str]
) -> None:
    manager = {"X-Authorization": app_and_token(client, "APPLICATION_MANAGER", "mgr")[1]}
    app_id = new_application(client, manager)
    assert ok(client.post(f"/api/applications/{app_id}/roles/WORKER", headers=manager))
    for role in ("ADMIN", "UNRESTRICTED_WORKER", "METADATA_MANAGER", "WORKFLOW_MANAGER"):
        answer = client.post(f"/api/applications/{app_id}/roles/{role}", headers=manager)
        refused(answer, 403)
    refused(
        client.post(f"/api/applications/{app_id}/roles/APPLICATION_MANAGER", headers=manager), 403
    )
    assert ok(client.get(f"/api/applications/{app_id}", headers=manager))["roles"] == ["WORKER"]
    # An application holding an admin-only role is the ADMIN's to change: a manager making
    # itself a key of it would hold that role.
    ok(client.post(f"/api/applications/{app_id}/roles/ADMIN", headers=admin))
    refused(client.post(f"/api/applications/{app_id}/accessKeys", headers=manager), 403)
    refused(client.delete(f"/api/applications/{app_id}/roles/ADMIN", headers=manager), 403)
    refused(client.delete(f"/api/applications/{app_id}", headers=manager), 403)
    assert ok(client.get(f"/api/applications/{app_id}/accessKeys", headers=manager)) == []
    refused(client.get("/api/users", headers=manager), 403)
    user = {"X-Authorization": app_and_token(client, "USER", "u")[1]}
    refused(client.get("/api/applications", headers=user), 403)


def test_tags_are_added_listed_and_removed(client: TestClient, admin: dict[str, str]) -> None:
    app_id = new_application(client, admin)
    tags = f"/api/applications/{app_id}/tags"
    assert ok(client.get(tags, headers=admin)) == []
    put = [{"key": "team", "value": "pay"}, {"key": "env", "type": "METADATA", "value": "prod"}]
    assert client.put(tags, json=put, headers=admin).status_code == 200
    assert client.put(tags, json=[{"key": "team", "value": "ar"}], headers=admin).status_code == 200
    assert ok(client.get(tags, headers=admin)) == [
        {"key": "env", "type": "METADATA", "value": "prod"},
        {"key": "team", "type": "METADATA", "value": "ar"},
        {"key": "team", "type": "METADATA", "value": "pay"},
    ]
    gone = [{"key": "team", "value": "pay"}]
    assert client.request("DELETE", tags, json=gone, headers=admin).status_code == 200
    assert [t["value"] for t in ok(client.get(tags, headers=admin))] == ["prod", "ar"]
    bad_bodies: list[object] = [{}, [{"key": "k"}], [{"value": "v"}], [{"key": "", "value": "v"}]]
    for bad in [*bad_bodies, ["k:v"]]:
        refused(client.put(tags, json=bad, headers=admin), 400)
    assert len(ok(client.get(tags, headers=admin))) == 2


def same_token_status(client: TestClient, worker: dict[str, str]) -> int:
    """A worker's poll: 200/204 while it holds WORKER and the grant, else 401/403."""
    answer = client.get("/api/tasks/poll/batch/paid", headers=worker, params={"timeout": 1})
    return int(answer.status_code)


def test_removed_roles_inactive_keys_and_deleted_applications_take_effect_at_once(
    client: TestClient, admin: dict[str, str]
) -> None:
    app_id = new_application(client, admin, "worker")
    ok(client.post(f"/api/applications/{app_id}/roles/WORKER", headers=admin))
    key_id, secret = new_key(client, admin, app_id)
    grant = {
        "subject": {"type": "USER", "id": f"app:{app_id}"},
        "target": {"type": "TASK_DEF", "id": "paid"},
        "access": ["EXECUTE"],
    }
    ok(client.post("/api/auth/authorization", json=grant, headers=admin))
    worker = {"X-Authorization": token(client, key_id, secret)}
    assert same_token_status(client, worker) in (200, 204)

    ok(client.delete(f"/api/applications/{app_id}/roles/WORKER", headers=admin))
    assert same_token_status(client, worker) == 403
    ok(client.post(f"/api/applications/{app_id}/roles/WORKER", headers=admin))
    assert same_token_status(client, worker) in (200, 204)

    status = f"/api/applications/{app_id}/accessKeys/{key_id}/status"
    toggled = ok(client.post(status, headers=admin))
    assert (toggled["id"], toggled["status"]) == (key_id, "INACTIVE")
    refused(client.get("/api/tasks/poll/batch/paid", headers=worker), 401)
    assert client.get("/api/tasks/poll/batch/paid", headers=worker).json()["error"] == (
        "INVALID_TOKEN"
    )
    refused(client.post("/api/token", json={"keyId": key_id, "keySecret": secret}), 401)
    assert ok(client.post(status, headers=admin))["status"] == "ACTIVE"
    assert same_token_status(client, worker) in (200, 204)

    assert client.delete(f"/api/applications/{app_id}", headers=admin).status_code == 200
    body = refused(client.get("/api/tasks/poll/batch/paid", headers=worker), 401)
    assert body["error"] == "INVALID_TOKEN"
    # Its grants went with it.
    assert ok(client.get("/api/auth/authorization/TASK_DEF/paid", headers=admin)) == {}


def test_a_deleted_key_token_is_refused_and_the_others_still_work(
    client: TestClient, admin: dict[str, str]
) -> None:
    app_id = new_application(client, admin)
    ok(client.post(f"/api/applications/{app_id}/roles/READ_ONLY_USER", headers=admin))
    first, second = new_key(client, admin, app_id), new_key(client, admin, app_id)
    tokens = [{"X-Authorization": token(client, *k)} for k in (first, second)]
    for headers in tokens:
        assert client.get("/api/metadata/taskdefs", headers=headers).status_code == 200
    ok(client.delete(f"/api/applications/{app_id}/accessKeys/{first[0]}", headers=admin))
    refused(client.get("/api/metadata/taskdefs", headers=tokens[0]), 401)
    assert client.get("/api/metadata/taskdefs", headers=tokens[1]).status_code == 200


def test_changes_to_applications_are_audited_with_the_application_named(
    client: TestClient, admin: dict[str, str]
) -> None:
    app_id = new_application(client, admin)
    key_id, secret = new_key(client, admin, app_id)
    ok(client.post(f"/api/applications/{app_id}/roles/WORKER", headers=admin))
    ok(client.post(f"/api/applications/{app_id}/accessKeys/{key_id}/status", headers=admin))
    refused(client.post(f"/api/applications/{app_id}/roles/BOSS", headers=admin), 400)
    log = client.get("/api/audit", params={"resource": f"APPLICATION:{app_id}"}, headers=admin)
    assert secret not in log.text
    records = ok(log)["results"]
    assert [(r["method"], r["path"].rsplit("/", 1)[-1], r["status"]) for r in records] == [
        ("POST", "BOSS", 400),
        ("POST", "status", 200),
        ("POST", "WORKER", 200),
        ("POST", "accessKeys", 200),
        ("POST", "applications", 200),
    ]
