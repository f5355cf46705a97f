"""The authorization matrix for grants: every route, called by USER applications holding no
grant, READ and EXECUTE on one workflow definition, or READ and EXECUTE on a tag, against the
granted definitions and against others. Expectations are written out here, not read from the
policy code: this is the specification."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from podium.api.policy import ROUTE_POLICY
from podium.auth.policy import Permission as P
from podium.config import Settings
from podium.server import build_app
from tests.api.test_auth import app_and_token
from tests.api.test_authorization import CREATING, NARROWED

WF, TASK = "WORKFLOW_DEF", "TASK_DEF"
# Routes that act on one workflow definition, and the access they need on it.
ON_WORKFLOW_DEF = {
    "GET /api/metadata/workflow/{name}": "READ",
    "GET /api/metadata/workflow/{name}/versions": "READ",
    "POST /api/metadata/workflow": "UPDATE",  # the body names an existing definition
    "PUT /api/metadata/workflow": "UPDATE",
    "DELETE /api/metadata/workflow/{name}/{version}": "DELETE",
    "GET /api/workflow/running/{name}": "READ",
    "GET /api/workflow/{name}/correlated/{correlation_id}": "READ",
    "POST /api/workflow/{name}/correlated": "READ",
    "GET /api/workflow/{workflow_id}": "READ",
    "GET /api/workflow/{workflow_id}/status": "READ",
    "GET /api/workflow/{workflow_id}/tasks": "READ",
    "GET /api/workflow/{workflow_id}/history": "READ",
    "GET /api/tasks/{task_id}": "READ",
    "GET /api/tasks/{task_id}/log": "READ",
    "GET /api/tasks/in_progress/{workflow_id}/{ref}": "READ",
    "POST /api/workflow": "EXECUTE",
    "POST /api/workflow/test": "EXECUTE",
    "POST /api/workflow/{name}": "EXECUTE",
    "POST /api/workflow/execute/{name}/{version}": "EXECUTE",
    "PUT /api/workflow/decide/{workflow_id}": "EXECUTE",
    "PUT /api/workflow/{workflow_id}/pause": "EXECUTE",
    "PUT /api/workflow/{workflow_id}/resume": "EXECUTE",
    "PUT /api/workflow/{workflow_id}/skiptask/{ref}": "EXECUTE",
    "POST /api/workflow/{workflow_id}/rerun": "EXECUTE",
    "POST /api/workflow/{workflow_id}/restart": "EXECUTE",
    "POST /api/workflow/{workflow_id}/retry": "EXECUTE",
    "POST /api/workflow/{workflow_id}/resetcallbacks": "EXECUTE",
    "DELETE /api/workflow/{workflow_id}": "EXECUTE",
    "DELETE /api/workflow/{workflow_id}/remove": "EXECUTE",
    "DELETE /api/workflow/{workflow_id}/terminate-remove": "EXECUTE",
    "POST /api/tasks/{workflow_id}/{status}/signal": "EXECUTE",
    "POST /api/tasks/{workflow_id}/{status}/signal/sync": "EXECUTE",
    "POST /api/tasks/{workflow_id}/{ref}/{status}": "EXECUTE",
    "POST /api/tasks/{workflow_id}/{ref}/{status}/sync": "EXECUTE",
    "POST /api/queue/update/{workflow_id}/{ref}/{status}": "EXECUTE",
    "POST /api/queue/update/{workflow_id}/task/{task_id}/{status}": "EXECUTE",
}
# Routes that act on one task definition (the body of the writes names an existing one).
ON_TASK_DEF = {
    "GET /api/metadata/taskdefs/{tasktype}": "READ",
    "DELETE /api/metadata/taskdefs/{tasktype}": "DELETE",
    "POST /api/metadata/taskdefs": "UPDATE",
    "PUT /api/metadata/taskdefs": "UPDATE",
}
NOBODY = "USER without grants"
READER = "USER with READ, EXECUTE on WORKFLOW_DEF wf_a"
TAGGED = "USER with READ, EXECUTE on TAG team:a"
HOLDS: dict[str, set[tuple[str, str]]] = {  # what each holds on family "a" (none on "b")
    NOBODY: set(),
    READER: {(WF, "READ"), (WF, "EXECUTE")},
    TAGGED: {(WF, "READ"), (WF, "EXECUTE"), (TASK, "READ"), (TASK, "EXECUTE")},
}


def expected(who: str, family: str, route: str) -> bool:
    method, path = route.split(" ", 1)
    if ROUTE_POLICY[method, path] in (P.OPEN, P.MONITORING, P.ANY):
        return True
    if route in NARROWED or route in CREATING - set(ON_WORKFLOW_DEF) - set(ON_TASK_DEF):
        return True
    held = HOLDS[who] if family == "a" else set()
    if route in ON_WORKFLOW_DEF:
        return (WF, ON_WORKFLOW_DEF[route]) in held
    if route in ON_TASK_DEF:
        return (TASK, ON_TASK_DEF[route]) in held
    return False  # the roles decide alone: USER holds nothing else


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("grants") / "grants.db"
    settings = Settings(db=f"sqlite:///{db}", auth=True, sweep_interval=5)
    with TestClient(build_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def admin(client: TestClient) -> dict[str, str]:
    return {"X-Authorization": app_and_token(client, "ADMIN", "admin")[1]}


def grant(client: TestClient, admin: dict[str, str], who: str, target: str, name: str) -> None:
    body = {
        "subject": {"type": "USER", "id": who},
        "target": {"type": target, "id": name},
        "access": ["READ", "EXECUTE"],
    }
    assert client.post("/api/auth/authorization", json=body, headers=admin).status_code == 200


@pytest.fixture(scope="module")
def users(client: TestClient, admin: dict[str, str]) -> dict[str, dict[str, str]]:
    """The definitions of families a and b (wf_a and t_a tagged team:a), and the callers."""
    for family in "ab":
        tags = [{"key": "team", "value": family}]
        task = {"name": f"t_{family}", "tags": tags}
        assert client.post("/api/metadata/taskdefs", json=[task], headers=admin).status_code == 200
        step = {"name": f"t_{family}", "taskReferenceName": "step", "type": "SIMPLE"}
        wf = {"name": f"wf_{family}", "version": 1, "tasks": [step], "tags": tags}
        assert client.post("/api/metadata/workflow", json=wf, headers=admin).status_code == 200
    out = {}
    for who in HOLDS:
        app_id, token = app_and_token(client, "USER", who.split()[-1])
        out[who] = {"X-Authorization": token}
        if who == READER:
            grant(client, admin, f"app:{app_id}", WF, "wf_a")
        if who == TAGGED:
            grant(client, admin, f"app:{app_id}", "TAG", "team:a")
    return out


def an_execution(client: TestClient, admin: dict[str, str], family: str) -> tuple[str, str]:
    """(workflow id, its first task's id) of a new execution of wf_<family>."""
    started = client.post(f"/api/workflow/wf_{family}", json={}, headers=admin)
    assert started.status_code == 200, started.text
    wf = client.get(f"/api/workflow/{started.text}", headers=admin).json()
    return started.text, wf["tasks"][0]["taskId"]


def fill(template: str, params: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: params.get(m.group(1), "x"), template)


@pytest.mark.parametrize("family", ["a", "b"])
@pytest.mark.parametrize("who", sorted(HOLDS))
def test_grants_allow_exactly_the_routes_of_the_granted_definitions(
    client: TestClient,
    admin: dict[str, str],
    users: dict[str, dict[str, str]],
    who: str,
    family: str,
) -> None:
    wrong = []
    for method, template in sorted(ROUTE_POLICY):
        route = f"{method} {template}"
        params = {"name": f"wf_{family}", "tasktype": f"t_{family}", "ref": "step"}
        params |= {"version": "1", "status": "COMPLETED"}
        if "{workflow_id}" in template or "{task_id}" in template:
            params["workflow_id"], params["task_id"] = an_execution(client, admin, family)
        path = fill(template, params)
        named = f"t_{family}" if "/taskdefs" in template else f"wf_{family}"
        body = {"name": named} if method in ("POST", "PUT") else None
        query = {"waitForSeconds": "0"} if "/execute/" in template else None
        status = client.request(method, path, headers=users[who], json=body, params=query)
        denied = status.status_code == 403
        if denied != (not expected(who, family, route)) or status.status_code >= 500:
            wrong.append(f"{route}: {status.status_code} {status.text[:80]}")
    assert wrong == [], "\n".join(wrong)
