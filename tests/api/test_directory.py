"""People's user records and groups (`/api/users...`, `/api/groups...`) as Orkes serves them;
the roles of a person's groups are theirs, and grants to a group apply to its members."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from podium.config import Settings
from podium.server import build_app
from tests.api.test_applications import ok, refused
from tests.api.test_auth import app_and_token, register_one_step, secured

PROXY = ("10.1.2.3", 40000)


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    with secured(database) as c:
        yield c


@pytest.fixture
def admin(client: TestClient) -> dict[str, str]:
    return {"X-Authorization": app_and_token(client, "ADMIN", "root")[1]}


def put_group(client: TestClient, admin: dict[str, str], group_id: str, **body: Any) -> Any:
    return ok(client.put(f"/api/groups/{group_id}", json=body, headers=admin))


def put_user(client: TestClient, admin: dict[str, str], user_id: str, **body: Any) -> Any:
    return ok(client.put(f"/api/users/{user_id}", json=body, headers=admin))


def test_a_user_is_created_read_listed_updated_and_deleted(
    client: TestClient, admin: dict[str, str]
) -> None:
    put_group(client, admin, "ops", description="Operations", roles=["WORKFLOW_MANAGER"])
    jane = put_user(client, admin, "jane@acme.example", name="Jane", roles=["USER"], groups=["ops"])
    assert jane == {
        "id": "jane@acme.example",
        "name": "Jane",
        "roles": [{"name": "USER"}],
        "groups": [
            {
                "id": "ops",
                "description": "Operations",
                "roles": [{"name": "WORKFLOW_MANAGER"}],
                "defaultAccess": {},
            }
        ],
        "applicationUser": False,
    }
    assert ok(client.get("/api/users/jane@acme.example", headers=admin)) == jane
    assert ok(client.get("/api/users", headers=admin)) == [jane]
    changed = put_user(client, admin, "jane@acme.example", name="J", roles=[], groups=[])
    assert (changed["name"], changed["roles"], changed["groups"]) == ("J", [], [])
    assert ok(client.get("/api/groups/ops/users", headers=admin)) == []
    assert client.delete("/api/users/jane@acme.example", headers=admin).status_code == 200
    refused(client.get("/api/users/jane@acme.example", headers=admin), 404)
    refused(client.delete("/api/users/jane@acme.example", headers=admin), 404)
    assert ok(client.get("/api/users", headers=admin)) == []


def test_applications_show_as_users_when_asked(client: TestClient, admin: dict[str, str]) -> None:
    app_id, _token = app_and_token(client, "WORKER", "billing")
    put_user(client, admin, "ann", name="Ann")
    assert [u["id"] for u in ok(client.get("/api/users", headers=admin))] == ["ann"]
    users = ok(client.get("/api/users", params={"apps": "true"}, headers=admin))
    as_user = next(u for u in users if u["id"] == f"app:{app_id}")
    assert (as_user["name"], as_user["roles"], as_user["applicationUser"]) == (
        "billing",
        [{"name": "WORKER"}],
        True,
    )
    assert ok(client.get(f"/api/users/app:{app_id}", headers=admin)) == as_user
    refused(client.put(f"/api/users/app:{app_id}", json={"name": "x"}, headers=admin), 400)
    refused(client.delete(f"/api/users/app:{app_id}", headers=admin), 404)


@pytest.mark.parametrize(
    "body",
    [
        [],
        "x",
        {"name": 5},
        {"roles": ["BOSS"]},
        {"roles": "ADMIN"},
        {"groups": ["no-such-group"]},
        {"groups": [""]},
    ],
)
def test_a_bad_user_is_refused_and_changes_nothing(
    client: TestClient, admin: dict[str, str], body: object
) -> None:
    refused(client.put("/api/users/ann", json=body, headers=admin), 400)
    refused(client.get("/api/users/ann", headers=admin), 404)


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"description": 5},
        {"roles": ["BOSS"]},
        {"defaultAccess": []},
        {"defaultAccess": {"PLANET": ["READ"]}},
        {"defaultAccess": {"WORKFLOW_DEF": ["FLY"]}},
        {"defaultAccess": {"TAG": ["READ"]}},
    ],
)
def test_a_bad_group_is_refused_and_changes_nothing(
    client: TestClient, admin: dict[str, str], body: object
) -> None:
    refused(client.put("/api/groups/ops", json=body, headers=admin), 400)
    refused(client.get("/api/groups/ops", headers=admin), 404)


def test_groups_and_their_members(client: TestClient, admin: dict[str, str]) -> None:
    ops = put_group(
        client,
        admin,
        "ops",
        description="Operations",
        roles=["WORKER"],
        defaultAccess={"TASK_DEF": ["READ", "EXECUTE"]},
    )
    assert ops == {
        "id": "ops",
        "description": "Operations",
        "roles": [{"name": "WORKER"}],
        "defaultAccess": {"TASK_DEF": ["EXECUTE", "READ"]},
    }
    assert ok(client.get("/api/groups/ops", headers=admin)) == ops
    assert ok(client.get("/api/groups", headers=admin)) == [ops]
    for user_id in ("ann", "bob", "cy"):
        put_user(client, admin, user_id, name=user_id.title())
    assert client.post("/api/groups/ops/users/ann", headers=admin).status_code == 200
    assert (
        client.post("/api/groups/ops/users", json=["bob", "cy"], headers=admin).status_code == 200
    )
    members = ok(client.get("/api/groups/ops/users", headers=admin))
    assert [m["id"] for m in members] == ["ann", "bob", "cy"]
    assert [g["id"] for g in members[0]["groups"]] == ["ops"]
    assert client.delete("/api/groups/ops/users/ann", headers=admin).status_code == 200
    gone = client.request("DELETE", "/api/groups/ops/users", json=["cy", "never"], headers=admin)
    assert gone.status_code == 200
    assert [m["id"] for m in ok(client.get("/api/groups/ops/users", headers=admin))] == ["bob"]
    refused(client.post("/api/groups/ops/users/nobody", headers=admin), 404)
    refused(client.post("/api/groups/ops/users", json=["bob", "nobody"], headers=admin), 404)
    refused(client.post("/api/groups/ops/users", json="bob", headers=admin), 400)
    refused(client.post("/api/groups/ops/users", json=[1], headers=admin), 400)
    assert client.delete("/api/groups/ops", headers=admin).status_code == 200
    assert ok(client.get("/api/users/bob", headers=admin))["groups"] == []
    for method, path in [
        ("GET", "/api/groups/ops"),
        ("DELETE", "/api/groups/ops"),
        ("GET", "/api/groups/ops/users"),
        ("POST", "/api/groups/ops/users/bob"),
        ("DELETE", "/api/groups/ops/users/bob"),
        ("POST", "/api/groups/ops/users"),
        ("DELETE", "/api/groups/ops/users"),
        ("GET", "/api/groups/ops/permissions"),
    ]:
        body = ["bob"] if path.endswith("/users") else None
        refused(client.request(method, path, json=body, headers=admin), 404)


def grant(
    client: TestClient, admin: dict[str, str], subject: tuple[str, str], task: str, *access: str
) -> None:
    body = {
        "subject": {"type": subject[0], "id": subject[1]},
        "target": {"type": "TASK_DEF", "id": task},
        "access": list(access),
    }
    ok(client.post("/api/auth/authorization", json=body, headers=admin))


def test_permissions_of_users_and_groups(client: TestClient, admin: dict[str, str]) -> None:
    put_group(client, admin, "ops", roles=["WORKER"])
    put_user(client, admin, "ann", groups=["ops"])
    grant(client, admin, ("USER", "ann"), "mine", "READ")
    grant(client, admin, ("GROUP", "ops"), "ours", "EXECUTE", "READ")
    grant(client, admin, ("ROLE", "WORKER"), "everyones", "EXECUTE")
    assert ok(client.get("/api/groups/ops/permissions", headers=admin)) == {
        "grantedAccess": [
            {"target": {"type": "TASK_DEF", "id": "ours"}, "access": ["EXECUTE", "READ"]}
        ]
    }
    mine = ok(client.get("/api/users/ann/permissions", headers=admin))["grantedAccess"]
    assert {(g["target"]["id"], tuple(g["access"])) for g in mine} == {
        ("mine", ("READ",)),
        ("ours", ("EXECUTE", "READ")),
        ("everyones", ("EXECUTE",)),
    }
    check = "/api/users/ann/checkPermissions"
    ours = ok(client.get(check, params={"type": "TASK_DEF", "id": "ours"}, headers=admin))
    assert ours == {
        "CREATE": False,
        "DELETE": False,
        "EXECUTE": True,
        "READ": True,
        "UPDATE": False,
    }
    other = ok(client.get(check, params={"type": "TASK_DEF", "id": "other"}, headers=admin))
    assert not any(other.values())
    put_user(client, admin, "root", roles=["ADMIN"])
    boss = ok(
        client.get(
            "/api/users/root/checkPermissions",
            params={"type": "WORKFLOW_DEF", "id": "x"},
            headers=admin,
        )
    )
    assert all(boss.values())
    refused(client.get(check, params={"type": "PLANET", "id": "x"}, headers=admin), 400)
    refused(client.get(check, params={"type": "TASK_DEF"}, headers=admin), 400)
    refused(client.get("/api/users/nobody/permissions", headers=admin), 404)
    refused(
        client.get(
            "/api/users/nobody/checkPermissions",
            params={"type": "TASK_DEF", "id": "x"},
            headers=admin,
        ),
        404,
    )
    # Deleting the group and the user takes their grants along.
    ok(client.delete("/api/groups/ops", headers=admin))
    ok(client.delete("/api/users/ann", headers=admin))
    for task in ("mine", "ours"):
        assert ok(client.get(f"/api/auth/authorization/TASK_DEF/{task}", headers=admin)) == {}


@pytest.fixture
def proxy(database: str) -> Iterator[TestClient]:
    settings = Settings(db=database, auth=True, trusted_proxy=("10.1.0.0/16",))
    with TestClient(build_app(settings), client=PROXY, raise_server_exceptions=False) as c:
        yield c


ROOT = {"X-User": "root", "X-User-Roles": "ADMIN"}


def poll(client: TestClient, headers: dict[str, str]) -> int:
    answer = client.get("/api/tasks/poll/batch/paid_work", headers=headers, params={"timeout": 1})
    return int(answer.status_code)


def test_a_person_holds_the_roles_of_their_groups_and_their_grants(proxy: TestClient) -> None:
    register_one_step(proxy, ROOT)
    assert proxy.post("/api/workflow/granted_work", json={}, headers=ROOT).status_code == 200
    put_group(proxy, ROOT, "payers", roles=["WORKER"])
    put_user(proxy, ROOT, "ann", name="Ann", groups=["payers"])
    ann = {"X-User": "ann"}
    me = ok(proxy.get("/api/token/userInfo", headers=ann))
    assert (me["roles"], me["groups"]) == ([{"name": "WORKER"}], [{"id": "payers"}])
    assert poll(proxy, ann) == 403  # a WORKER, but no EXECUTE on the task type yet
    grant(proxy, ROOT, ("GROUP", "payers"), "paid_work", "EXECUTE")
    polled = proxy.get("/api/tasks/poll/batch/paid_work", headers=ann, params={"timeout": 1})
    assert [t["taskType"] for t in ok(polled)] == ["paid_work"]
    # Out of the group: neither its role nor its grant, from the next request on.
    ok(proxy.delete("/api/groups/payers/users/ann", headers=ROOT))
    assert ok(proxy.get("/api/token/userInfo", headers=ann))["roles"] == []
    assert poll(proxy, ann) == 403


def test_a_proxy_may_name_the_groups_and_their_stored_roles_apply(proxy: TestClient) -> None:
    put_group(proxy, ROOT, "readers", roles=["READ_ONLY_USER"])
    bob = {"X-User": "bob", "X-User-Groups": "readers, strangers"}
    assert proxy.get("/api/event", headers=bob).status_code == 200
    me = ok(proxy.get("/api/token/userInfo", headers=bob))
    assert me["groups"] == [{"id": "readers"}, {"id": "strangers"}]
    assert me["roles"] == [{"name": "READ_ONLY_USER"}]
    ok(proxy.put("/api/groups/readers", json={"roles": []}, headers=ROOT))
    assert proxy.get("/api/event", headers=bob).status_code == 403


def test_groups_named_by_anyone_but_a_trusted_proxy_are_dropped(database: str) -> None:
    settings = Settings(db=database, auth=True, trusted_proxy=("10.1.0.0/16",))
    stranger = ("192.0.2.7", 40000)
    with TestClient(build_app(settings), client=stranger, raise_server_exceptions=False) as c:
        _app, token = app_and_token(c, "ADMIN")
        admin = {"X-Authorization": token}
        put_group(c, admin, "admins", roles=["ADMIN"])
        forged = {"X-User-Groups": "admins"}
        assert c.get("/api/metadata/taskdefs", headers=forged).status_code == 401
        _app, reader = app_and_token(c, "WORKER")
        headers = {"X-Authorization": reader, "X-User-Groups": "admins"}
        me = ok(c.get("/api/token/userInfo", headers=headers))
        assert (me["roles"], me["groups"]) == ([{"name": "WORKER"}], [])


def test_changes_to_users_and_groups_are_audited(client: TestClient, admin: dict[str, str]) -> None:
    put_group(client, admin, "ops")
    put_user(client, admin, "ann", groups=["ops"])
    ok(client.post("/api/groups/ops/users", json=["ann"], headers=admin))
    refused(client.put("/api/users/ann", json={"roles": ["BOSS"]}, headers=admin), 400)
    by_user = ok(client.get("/api/audit", params={"resource": "USER:ann"}, headers=admin))
    assert [(r["method"], r["status"]) for r in by_user["results"]] == [("PUT", 400), ("PUT", 200)]
    by_group = ok(client.get("/api/audit", params={"resource": "GROUP:ops"}, headers=admin))
    assert [(r["method"], r["path"]) for r in by_group["results"]] == [
        ("POST", "/api/groups/ops/users"),
        ("PUT", "/api/groups/ops"),
    ]


def test_what_a_member_creates_is_shared_with_the_group_by_its_default_access(
    proxy: TestClient,
) -> None:
    put_group(proxy, ROOT, "payments", defaultAccess={"WORKFLOW_DEF": ["READ", "EXECUTE"]})
    put_group(proxy, ROOT, "audit", roles=["READ_ONLY_USER"])  # no default access
    ann = {"X-User": "ann", "X-User-Roles": "USER", "X-User-Groups": "payments, audit"}
    step = {"name": "charge", "taskReferenceName": "charge", "type": "SIMPLE"}
    definition = {"name": "settle", "version": 1, "tasks": [step]}
    assert proxy.post("/api/metadata/workflow", json=definition, headers=ann).status_code == 200
    shared = ok(proxy.get("/api/auth/authorization/WORKFLOW_DEF/settle", headers=ROOT))
    assert shared == {
        "DELETE": [{"type": "USER", "id": "ann"}],
        "EXECUTE": [{"type": "GROUP", "id": "payments"}, {"type": "USER", "id": "ann"}],
        "READ": [{"type": "GROUP", "id": "payments"}, {"type": "USER", "id": "ann"}],
        "UPDATE": [{"type": "USER", "id": "ann"}],
    }
    bob = {"X-User": "bob", "X-User-Roles": "USER", "X-User-Groups": "payments"}
    assert proxy.post("/api/workflow/settle", json={}, headers=bob).status_code == 200
    assert proxy.delete("/api/metadata/workflow/settle/1", headers=bob).status_code == 403
    eve = {"X-User": "eve", "X-User-Roles": "USER"}
    assert proxy.post("/api/workflow/settle", json={}, headers=eve).status_code == 403
