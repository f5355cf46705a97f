"""Authentication on (`--auth`): tokens for access keys, and no request served without one."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from podium.auth.principals import Principal
from podium.config import Settings
from podium.server import build_app
from podium.services.applications import ApplicationService
from podium.services.security import SecurityService


def secured(database: str, **settings: Any) -> TestClient:
    config = Settings(db=database, sweep_interval=0.05, auth=True, **settings)
    return TestClient(build_app(config), raise_server_exceptions=False)


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    with secured(database) as c:
        yield c


def security(client: TestClient) -> SecurityService:
    svc: SecurityService = client.app.state.services.security  # type: ignore[attr-defined]
    return svc


def new_app(client: TestClient, *roles: str, name: str = "billing") -> tuple[str, str, str]:
    """(application id, key id, secret) of a new application with `roles`."""
    svc: ApplicationService = client.app.state.services.applications  # type: ignore[attr-defined]
    create = functools.partial(svc.create_application, name, list(roles), actor="test")
    assert client.portal is not None
    app = client.portal.call(create)
    key = client.portal.call(svc.create_access_key, app["id"])
    return app["id"], key["id"], key["secret"]


def new_key(client: TestClient, *roles: str) -> tuple[str, str]:
    """(key id, secret) of a new application with `roles`."""
    _app_id, key_id, secret = new_app(client, *roles)
    return key_id, secret


def token(client: TestClient, key_id: str, secret: str) -> str:
    answer = client.post("/api/token", json={"keyId": key_id, "keySecret": secret})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def test_a_request_without_a_token_is_refused_with_what_the_sdks_understand(
    client: TestClient,
) -> None:
    for method, path in [
        ("GET", "/api/metadata/taskdefs"),
        ("POST", "/api/workflow/anything"),
        ("GET", "/api/tasks/poll/batch/work"),  # the hot path too
        ("POST", "/api/tasks/update-v2"),
        ("GET", "/api/token/userInfo"),
    ]:
        answer = client.request(method, path)
        assert answer.status_code == 401, (path, answer.text)
        body = answer.json()
        assert body["error"] == "INVALID_TOKEN"
        assert body["status"] == 401
        assert body["message"]


def test_an_access_key_buys_a_token_accepted_in_either_header(client: TestClient) -> None:
    issued = token(client, *new_key(client, "ADMIN"))
    for headers in ({"X-Authorization": issued}, {"Authorization": f"Bearer {issued}"}):
        answer = client.get("/api/metadata/taskdefs", headers=headers)
        assert answer.status_code == 200, answer.text
    me = client.get("/api/token/userInfo", headers={"X-Authorization": issued}).json()
    assert me["id"].startswith("app:")
    assert (me["name"], me["roles"], me["applicationUser"]) == (
        "billing",
        [{"name": "ADMIN"}],
        True,
    )


def test_a_wrong_secret_or_unknown_key_gets_no_token(client: TestClient) -> None:
    key_id, secret = new_key(client, "WORKER")
    for body in (
        {"keyId": key_id, "keySecret": secret + "x"},
        {"keyId": "no-such-key", "keySecret": secret},
    ):
        answer = client.post("/api/token", json=body)
        assert answer.status_code == 401, answer.text
        assert answer.json()["error"] == "INVALID_TOKEN"
        assert secret not in answer.text
    bad_bodies: list[object] = [{}, {"keyId": key_id}, {"keyId": 1, "keySecret": 2}, [], "x"]
    for bad in bad_bodies:
        assert client.post("/api/token", json=bad).status_code == 400
    assert client.post("/api/token", content=b"{not json").status_code == 400


def test_repeated_failures_lock_the_caller_out_even_with_the_right_secret(
    client: TestClient,
) -> None:
    key_id, secret = new_key(client, "WORKER")
    for _ in range(5):
        wrong = client.post("/api/token", json={"keyId": key_id, "keySecret": "guess"})
        assert wrong.status_code == 401
    locked = client.post("/api/token", json={"keyId": key_id, "keySecret": secret})
    assert locked.status_code == 429, locked.text
    assert 0 < int(locked.headers["Retry-After"]) <= 60


def test_an_expired_token_asks_the_sdk_for_a_new_one(client: TestClient) -> None:
    key_id, _secret = new_key(client, "ADMIN")
    assert client.portal is not None
    signer = client.portal.call(security(client).signer)
    principal = Principal.of_application("a1", "billing", frozenset({"ADMIN"}))
    now_s = security(client).ctx.clock() // 1000
    stale = signer.issue(principal, key_id, now_s - 7200, 3600)
    answer = client.get("/api/metadata/taskdefs", headers={"X-Authorization": stale})
    assert answer.status_code == 401
    assert answer.json()["error"] == "EXPIRED_TOKEN"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Authorization": "not-a-token"},
        {"X-Authorization": "a.b.c"},
        {"X-Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer " + "A" * 20_000},
        {"X-Authorization": "\u00e9\u00e8.\u00ff.\u00e0".encode("latin-1")},
        {"X-Authorization": b"\xff\xfe\x00\x01"},
        {"Cookie": "session=forged"},
    ],
)
def test_malformed_credentials_are_refused_never_a_server_error(
    client: TestClient, headers: dict[str, str | bytes]
) -> None:
    answer = client.get("/api/metadata/taskdefs", headers=headers)
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "INVALID_TOKEN"


def test_health_and_metrics_answer_without_a_token_unless_closed(database: str) -> None:
    with secured(database) as c:
        for path in ("/health", "/actuator/health", "/actuator/prometheus", "/api-docs"):
            assert c.get(path).status_code == 200, path
    with secured(database, open_monitoring=False) as c:
        for path in ("/health", "/actuator/health", "/actuator/prometheus"):
            assert c.get(path).status_code == 401, path


def test_with_authentication_off_the_token_endpoint_does_not_exist(database: str) -> None:
    with TestClient(build_app(Settings(db=database))) as c:
        answer = c.post("/api/token", json={"keyId": "k", "keySecret": "s"})
        assert answer.status_code == 404
        assert c.get("/api/metadata/taskdefs").status_code == 200


def app_and_token(client: TestClient, role: str, name: str = "w") -> tuple[str, str]:
    """(application id, token) of a new application with one role."""
    app_id, key_id, secret = new_app(client, role, name=name)
    return app_id, token(client, key_id, secret)


def test_a_worker_polls_only_task_types_it_holds_execute_on(client: TestClient) -> None:
    admin = {"X-Authorization": token(client, *new_key(client, "ADMIN"))}
    register_one_step(client, admin)
    started = client.post("/api/workflow/granted_work", json={}, headers=admin)
    assert started.status_code == 200, started.text
    app_id, worker_token = app_and_token(client, "WORKER")
    worker = {"X-Authorization": worker_token}
    poll = "/api/tasks/poll/batch/paid_work"
    refused = client.get(poll, headers=worker, params={"timeout": 1})
    assert refused.status_code == 403
    assert "EXECUTE" in refused.json()["message"]
    assert client.get("/api/tasks/poll/paid_work", headers=worker).status_code == 403
    queued = client.get("/api/tasks/queue/sizes", params={"taskType": "paid_work"}, headers=admin)
    assert queued.json() == {"paid_work": 1}  # nothing was handed out

    grant = {
        "subject": {"type": "USER", "id": f"app:{app_id}"},
        "target": {"type": "TASK_DEF", "id": "paid_work"},
        "access": ["EXECUTE"],
    }
    assert client.post("/api/auth/authorization", json=grant, headers=admin).json() == {
        "message": "Granted permission"
    }
    listed = client.get("/api/auth/authorization/TASK_DEF/paid_work", headers=admin).json()
    assert listed == {"EXECUTE": [{"type": "USER", "id": f"app:{app_id}"}]}
    polled = client.get(poll, headers=worker, params={"timeout": 1})
    assert [t["taskType"] for t in polled.json()] == ["paid_work"]

    assert client.request("DELETE", "/api/auth/authorization", json=grant, headers=admin).json()
    assert client.get(poll, headers=worker, params={"timeout": 1}).status_code == 403


def test_a_grant_to_a_role_covers_every_application_holding_it(client: TestClient) -> None:
    admin = {"X-Authorization": token(client, *new_key(client, "ADMIN"))}
    grant = {
        "subject": {"type": "ROLE", "id": "WORKER"},
        "target": {"type": "TASK_DEF", "id": "shared_work"},
        "access": ["EXECUTE", "READ"],
    }
    assert client.post("/api/auth/authorization", json=grant, headers=admin).status_code == 200
    _app, worker_token = app_and_token(client, "WORKER")
    answer = client.get(
        "/api/tasks/poll/batch/shared_work",
        headers={"X-Authorization": worker_token},
        params={"timeout": 1},
    )
    assert answer.status_code in (200, 204), answer.text


def grant_body(
    subject: object = ("USER", "a"), target: object = ("TASK_DEF", "t"), access: object = None
) -> dict[str, object]:
    def ref(value: object) -> object:
        return {"type": value[0], "id": value[1]} if isinstance(value, tuple) else value

    body = {"subject": ref(subject), "target": ref(target)}
    return body if access is None else {**body, "access": access}


@pytest.mark.parametrize(
    "body",
    [
        {},
        [],
        grant_body(),  # no access
        grant_body(subject=("ALIEN", "a"), access=["EXECUTE"]),
        grant_body(target=("PLANET", "t"), access=["EXECUTE"]),
        grant_body(subject=("USER", ""), access=["EXECUTE"]),
        grant_body(access=["FLY"]),
        grant_body(access=[]),
        grant_body(subject="USER:a", access=["READ"]),
    ],
)
def test_a_malformed_grant_is_refused_and_changes_nothing(client: TestClient, body: object) -> None:
    admin = {"X-Authorization": token(client, *new_key(client, "ADMIN"))}
    answer = client.post("/api/auth/authorization", json=body, headers=admin)
    assert answer.status_code == 400, answer.text
    assert client.get("/api/auth/authorization/TASK_DEF/t", headers=admin).json() == {}


def register_one_step(client: TestClient, headers: dict[str, str]) -> None:
    definition = {
        "name": "granted_work",
        "version": 1,
        "tasks": [{"name": "paid_work", "taskReferenceName": "pay"}],
    }
    answer = client.post("/api/metadata/workflow", json=definition, headers=headers)
    assert answer.status_code == 200, answer.text


def started_and_polled(client: TestClient, admin: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """A started `granted_work` execution and its `paid_work` task, polled by the admin."""
    register_one_step(client, admin)
    workflow_id = client.post("/api/workflow/granted_work", json={}, headers=admin).text
    [task] = client.get(
        "/api/tasks/poll/batch/paid_work", headers=admin, params={"timeout": 1}
    ).json()
    return workflow_id, task


def test_a_worker_reports_results_only_for_task_types_it_holds_execute_on(
    client: TestClient,
) -> None:
    admin = {"X-Authorization": token(client, *new_key(client, "ADMIN"))}
    workflow_id, task = started_and_polled(client, admin)
    result = {"workflowInstanceId": workflow_id, "taskId": task["taskId"], "status": "COMPLETED"}
    _app, worker_token = app_and_token(client, "WORKER")  # no grant on paid_work
    worker = {"X-Authorization": worker_token}
    for path in ("/api/tasks", "/api/tasks/update-v2"):
        refused = client.post(path, json=result, headers=worker)
        assert refused.status_code == 403, refused.text
    state = client.get(f"/api/workflow/{workflow_id}", headers=admin).json()
    assert [t["status"] for t in state["tasks"]] == ["IN_PROGRESS"]  # nothing changed
    unrestricted = {"X-Authorization": app_and_token(client, "UNRESTRICTED_WORKER")[1]}
    assert client.post("/api/tasks", json=result, headers=unrestricted).status_code == 200


def test_a_worker_acks_and_logs_only_tasks_of_types_it_holds_execute_on(
    client: TestClient,
) -> None:
    admin = {"X-Authorization": token(client, *new_key(client, "ADMIN"))}
    _workflow_id, task = started_and_polled(client, admin)
    app_id, worker_token = app_and_token(client, "WORKER")
    worker = {"X-Authorization": worker_token}
    log = f"/api/tasks/{task['taskId']}/log"
    for path in (f"/api/tasks/{task['taskId']}/ack", log, "/api/tasks/no-such-task/ack"):
        refused = client.post(path, content=b"a line", headers=worker)
        assert refused.status_code == 403, (path, refused.text)
    assert client.get(log, headers=admin).status_code == 204  # nothing was written

    grant = {
        "subject": {"type": "USER", "id": f"app:{app_id}"},
        "target": {"type": "TASK_DEF", "id": "paid_work"},
        "access": ["EXECUTE"],
    }
    assert client.post("/api/auth/authorization", json=grant, headers=admin).status_code == 200
    assert client.post(log, content=b"a line", headers=worker).status_code == 200
    assert [entry["log"] for entry in client.get(log, headers=admin).json()] == ["a line"]
