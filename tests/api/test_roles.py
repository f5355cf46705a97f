"""Orkes' roles (`/api/roles...`): Podium's system roles and their permissions, readable by
every caller; custom roles are refused with a message naming the alternative, and nothing
changes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from podium.auth.principals import ROLES
from tests.api.test_applications import ok, refused
from tests.api.test_auth import app_and_token, secured

ALTERNATIVE = ("PUT /api/groups/{id}", "POST /api/auth/authorization")


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    with secured(database) as c:
        yield c


@pytest.fixture
def admin(client: TestClient) -> dict[str, str]:
    return {"X-Authorization": app_and_token(client, "ADMIN", "root")[1]}


@pytest.fixture
def worker(client: TestClient) -> dict[str, str]:
    return {"X-Authorization": app_and_token(client, "WORKER", "reader")[1]}


def names(role: dict[str, object]) -> list[object]:
    permissions = role["permissions"]
    assert isinstance(permissions, list)
    return [p["name"] for p in permissions]


def test_every_caller_reads_each_role_and_the_permissions_it_holds(
    client: TestClient, worker: dict[str, str]
) -> None:
    assert ok(client.get("/api/roles/USER", headers=worker)) == {
        "name": "USER",
        "permissions": [{"name": "metadata:create"}],
    }
    assert ok(client.get("/api/roles/READ_ONLY_USER", headers=worker)) == {
        "name": "READ_ONLY_USER",
        "permissions": [{"name": "metadata:read"}, {"name": "execution:read"}],
    }
    assert names(ok(client.get("/api/roles/WORKFLOW_MANAGER", headers=worker))) == [
        "metadata:read",
        "execution:read",
        "execution:start",
        "execution:operate",
    ]
    assert names(ok(client.get("/api/roles/APPLICATION_MANAGER", headers=worker))) == [
        "applications"
    ]


def test_all_roles_are_the_system_roles_and_none_is_custom(
    client: TestClient, worker: dict[str, str]
) -> None:
    listed = ok(client.get("/api/roles", headers=worker))
    system = ok(client.get("/api/roles/system", headers=worker))
    assert [r["name"] for r in listed][:5] == [
        "ADMIN",
        "USER",
        "READ_ONLY_USER",
        "METADATA_MANAGER",
        "WORKFLOW_MANAGER",
    ]  # people's roles first, then those for applications only
    assert {r["name"] for r in listed} == ROLES
    assert len(listed) == len(ROLES)
    assert system == {r["name"]: r for r in listed}
    for role in listed:
        assert ok(client.get(f"/api/roles/{role['name']}", headers=worker)) == role
    assert ok(client.get("/api/roles/custom", headers=worker)) == []


def test_the_available_permissions_are_described(
    client: TestClient, worker: dict[str, str]
) -> None:
    available = ok(client.get("/api/roles/permissions", headers=worker))
    assert list(available) == [
        "monitoring",
        "metadata:read",
        "metadata:write",
        "metadata:create",
        "execution:read",
        "execution:start",
        "execution:operate",
        "task:work",
        "applications",
        "admin",
    ]
    assert all(isinstance(text, str) and text for text in available.values())
    admin_role = ok(client.get("/api/roles/ADMIN", headers=worker))
    assert names(admin_role) == list(available)  # ADMIN holds every one


def test_an_unknown_role_is_not_found(client: TestClient, worker: dict[str, str]) -> None:
    assert (
        "GET /api/roles" in refused(client.get("/api/roles/BOSS", headers=worker), 404)["message"]
    )
    refused(client.get("/api/roles/admin", headers=worker), 404)  # names are exact


def test_a_caller_without_a_token_reads_no_role(client: TestClient) -> None:
    refused(client.get("/api/roles"), 401)
    refused(client.get("/api/roles/USER"), 401)


def snapshot(client: TestClient, headers: dict[str, str]) -> list[object]:
    return [
        ok(client.get(path, headers=headers))
        for path in ("/api/roles", "/api/roles/system", "/api/roles/custom")
    ]


def test_a_custom_role_is_refused_with_the_alternative_and_nothing_changes(
    client: TestClient, admin: dict[str, str]
) -> None:
    before = snapshot(client, admin)
    body = {"name": "deployer", "permissions": ["workflow-read", "workflow-execute"]}
    for answer in (
        client.post("/api/roles", json=body, headers=admin),
        client.put("/api/roles/deployer", json=body, headers=admin),
        client.delete("/api/roles/deployer", headers=admin),
    ):
        message = refused(answer, 400)["message"]
        assert "custom roles" in message
        assert all(way in message for way in ALTERNATIVE)
    refused(client.post("/api/roles", content=b"not json", headers=admin), 400)
    assert snapshot(client, admin) == before
    refused(client.get("/api/roles/deployer", headers=admin), 404)


def test_a_system_role_is_neither_changed_nor_deleted(
    client: TestClient, admin: dict[str, str]
) -> None:
    before = snapshot(client, admin)
    body = {"name": "WORKER", "permissions": ["admin"]}
    for answer in (
        client.put("/api/roles/WORKER", json=body, headers=admin),
        client.delete("/api/roles/WORKER", headers=admin),
        client.post("/api/roles", json=body, headers=admin),
    ):
        message = refused(answer, 400)["message"]
        assert "WORKER is a system role" in message
        assert all(way in message for way in ALTERNATIVE)
    assert snapshot(client, admin) == before
    assert names(ok(client.get("/api/roles/WORKER", headers=admin))) == ["task:work"]


def test_only_an_admin_may_ask_to_change_roles(client: TestClient, worker: dict[str, str]) -> None:
    manager = {"X-Authorization": app_and_token(client, "APPLICATION_MANAGER", "apps")[1]}
    for headers in (worker, manager):
        refused(client.post("/api/roles", json={"name": "x"}, headers=headers), 403)
        refused(client.put("/api/roles/WORKER", json={}, headers=headers), 403)
        refused(client.delete("/api/roles/WORKER", headers=headers), 403)


def test_refused_changes_to_roles_are_audited(client: TestClient, admin: dict[str, str]) -> None:
    refused(client.delete("/api/roles/WORKER", headers=admin), 400)
    refused(client.post("/api/roles", json={"name": "deployer"}, headers=admin), 400)
    worker = ok(client.get("/api/audit", params={"resource": "ROLE:WORKER"}, headers=admin))
    assert [(r["method"], r["status"]) for r in worker["results"]] == [("DELETE", 400)]
    custom = ok(client.get("/api/audit", params={"resource": "ROLE:deployer"}, headers=admin))
    assert [(r["method"], r["path"]) for r in custom["results"]] == [("POST", "/api/roles")]
