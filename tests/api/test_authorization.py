"""The authorization matrix: every route, every role (and no token at all), exactly the
expected allow or deny. A route without an entry in the policy table fails here."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Route

from podium.api.app import ROUTER_MODULES
from podium.api.policy import ROUTE_POLICY
from podium.auth.policy import Permission
from podium.auth.principals import ROLES
from podium.config import Settings
from podium.server import build_app
from tests.api.test_auth import app_and_token

ANONYMOUS = "anonymous"
GRANTED = "WORKER with EXECUTE on x"  # a WORKER application granted task type "x"
SAMPLE = {"version": "1", "status": "COMPLETED"}  # path parameters that must parse


def served_routes(client: TestClient) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves: its own and its routers'."""
    routes = [r for r in client.app.routes if isinstance(r, Route)]  # type: ignore[attr-defined]
    routes += [r for module in ROUTER_MODULES for r in module.router.routes if isinstance(r, Route)]
    return {(m, r.path) for r in routes for m in (r.methods or ()) if m != "HEAD"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("matrix") / "matrix.db"
    settings = Settings(db=f"sqlite:///{db}", auth=True, sweep_interval=5)
    with TestClient(build_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def tokens(client: TestClient) -> dict[str, str]:
    """A token per role, of an application holding only that role; and of a WORKER
    application granted EXECUTE on task type "x"."""
    out = {role: app_and_token(client, role, role.lower())[1] for role in sorted(ROLES)}
    granted_id, out[GRANTED] = app_and_token(client, "WORKER", "granted")
    grant = {
        "subject": {"type": "USER", "id": f"app:{granted_id}"},
        "target": {"type": "TASK_DEF", "id": "x"},
        "access": ["EXECUTE"],
    }
    admin = {"X-Authorization": out["ADMIN"]}
    assert client.post("/api/auth/authorization", json=grant, headers=admin).status_code == 200
    return out


def test_every_route_has_a_policy_and_every_policy_a_route(client: TestClient) -> None:
    served = served_routes(client)
    assert sorted(served - ROUTE_POLICY.keys()) == [], "routes without an access policy"
    assert sorted(ROUTE_POLICY.keys() - served) == [], "policies of routes that do not exist"


P = Permission
# Written out here, not read from podium.auth.policy: this is the specification.
MAY: dict[str, set[Permission]] = {
    "ADMIN": set(P),
    "METADATA_MANAGER": {P.METADATA_READ, P.METADATA_WRITE, P.METADATA_CREATE},
    "METADATA_API": {P.METADATA_READ, P.METADATA_WRITE, P.METADATA_CREATE},
    "WORKFLOW_MANAGER": {P.METADATA_READ, P.EXECUTION_READ, P.EXECUTION_START, P.EXECUTION_OPERATE},
    "APPLICATION_API": {P.METADATA_READ, P.EXECUTION_READ, P.EXECUTION_START, P.EXECUTION_OPERATE},
    "READ_ONLY_USER": {P.METADATA_READ, P.EXECUTION_READ},
    "USER": {P.METADATA_CREATE},  # the rest by grants on what it owns or was granted
    "WORKER": {P.TASK_WORK},
    "UNRESTRICTED_WORKER": {P.TASK_WORK},
    "APPLICATION_MANAGER": {P.APPLICATIONS},
}


# Routes over many resources: every authenticated caller may call them; when its roles do not
# cover the route, the answer (a list, a search, a bulk operation's per-id results) is narrowed
# to what its grants allow.
NARROWED = {
    "GET /api/metadata/workflow",
    "GET /api/metadata/workflow/latest-versions",
    "GET /api/metadata/workflow/names",
    "GET /api/metadata/workflow/names-and-versions",
    "GET /api/metadata/taskdefs",
    "GET /api/workflow/search",
    "GET /api/workflow/search-v2",
    "GET /api/workflow/search-by-tasks",
    "GET /api/workflow/search-by-tasks-v2",
    "GET /api/tasks/search",
    "GET /api/tasks/search-v2",
    "POST /api/workflow/bulk/search",
    "PUT /api/workflow/bulk/pause",
    "PUT /api/workflow/bulk/resume",
    "POST /api/workflow/bulk/restart",
    "POST /api/workflow/bulk/retry",
    "POST /api/workflow/bulk/terminate",
    "DELETE /api/workflow/bulk/remove",
    "DELETE /api/workflow/bulk/terminate-remove",
}
# Routes that may create a definition: whoever may create definitions may call them with a
# body naming none that exists (the matrix sends `{}`, which the handler refuses with a 400).
CREATING = {
    "POST /api/metadata/workflow",
    "PUT /api/metadata/workflow",
    "POST /api/metadata/taskdefs",
    "POST /api/metadata/workflow/validate",
}


def expected(who: str, permission: Permission, route: str) -> bool:
    if permission in (P.OPEN, P.MONITORING):  # monitoring is open by default
        return True
    if who == ANONYMOUS:
        return False
    if who in ("WORKER", GRANTED) and permission is P.TASK_WORK and "{task_id}" in route:
        return False  # ack and log need EXECUTE on the task's type: the sample id is no task
    if who == GRANTED:  # its grant covers the sample task type
        return expected("WORKER", permission, route.replace("{tasktype}", "x"))
    if who == "WORKER" and "{tasktype}" in route:
        return False  # polls need EXECUTE on the task type too
    if route in NARROWED or (route in CREATING and P.METADATA_CREATE in MAY[who]):
        return True
    return permission is P.ANY or permission in MAY[who]


def test_the_specification_names_every_role() -> None:
    assert MAY.keys() == ROLES


def test_the_roles_endpoint_describes_each_role_as_specified(
    client: TestClient, tokens: dict[str, str]
) -> None:
    answer = client.get("/api/roles/system", headers={"X-Authorization": tokens["WORKER"]})
    assert answer.status_code == 200, answer.text
    described = {
        name: {p["name"] for p in role["permissions"]} for name, role in answer.json().items()
    }
    everyone = {P.OPEN, P.ANY}  # every caller holds them: no role lists them
    assert described == {role: {p.value for p in MAY[role] - everyone} for role in MAY}


@pytest.mark.parametrize(
    ("route", "permission"),
    [
        ("GET /api/tasks/poll/batch/{tasktype}", P.TASK_WORK),
        ("POST /api/tasks/update-v2", P.TASK_WORK),
        ("POST /api/tasks", P.TASK_WORK),
        ("POST /api/workflow", P.EXECUTION_START),
        ("DELETE /api/workflow/{workflow_id}", P.EXECUTION_OPERATE),
        ("POST /api/tasks/{workflow_id}/{ref}/{status}", P.EXECUTION_OPERATE),
        ("GET /api/workflow/{workflow_id}", P.EXECUTION_READ),
        ("PUT /api/metadata/workflow", P.METADATA_WRITE),
        ("DELETE /api/metadata/taskdefs/{tasktype}", P.METADATA_WRITE),
        ("POST /api/event", P.METADATA_WRITE),
        ("GET /api/admin/config", P.ADMIN),
        ("POST /api/auth/authorization", P.ADMIN),
        ("GET /api/audit", P.ADMIN),
        ("GET /api/auth/sessions", P.ADMIN),
        ("DELETE /api/auth/sessions", P.ADMIN),
        ("DELETE /api/auth/sessions/{session_id}", P.ADMIN),
        ("POST /api/applications", P.APPLICATIONS),
        ("POST /api/applications/{app_id}/roles/{role}", P.APPLICATIONS),
        ("POST /api/applications/{app_id}/accessKeys", P.APPLICATIONS),
        ("PUT /api/users/{user_id}", P.ADMIN),
        ("PUT /api/groups/{group_id}", P.ADMIN),
        ("POST /api/groups/{group_id}/users", P.ADMIN),
        ("GET /api/users/{user_id}/permissions", P.ADMIN),
        ("GET /api/roles", P.ANY),
        ("GET /api/roles/system", P.ANY),
        ("GET /api/roles/custom", P.ANY),
        ("GET /api/roles/permissions", P.ANY),
        ("GET /api/roles/{name}", P.ANY),
        ("POST /api/roles", P.ADMIN),
        ("PUT /api/roles/{name}", P.ADMIN),
        ("DELETE /api/roles/{name}", P.ADMIN),
        ("POST /api/tasks/queue/requeue/{tasktype}", P.ADMIN),
        ("POST /api/token", P.OPEN),
        ("GET /actuator/prometheus", P.MONITORING),
    ],
)
def test_the_routes_that_matter_most_need_the_expected_permission(
    route: str, permission: Permission
) -> None:
    method, path = route.split(" ", 1)
    assert ROUTE_POLICY[method, path] is permission


@pytest.mark.parametrize("who", [ANONYMOUS, GRANTED, *sorted(ROLES)])
def test_each_caller_is_allowed_exactly_what_its_role_holds(
    client: TestClient, tokens: dict[str, str], who: str
) -> None:
    headers = {} if who == ANONYMOUS else {"X-Authorization": tokens[who]}
    wrong = []
    for (method, template), permission in sorted(ROUTE_POLICY.items()):
        path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE.get(m.group(1), "x"), template)
        body: dict[str, str] | None = {} if method in ("POST", "PUT") else None
        answer = client.request(method, path, headers=headers, json=body, follow_redirects=False)
        status = answer.status_code
        # A UI page refuses a browser without a session by sending it to sign in.
        to_sign_in = status == 303 and answer.headers["location"].startswith("/ui/login?")
        denied = status in (401, 403) or to_sign_in
        if denied == expected(who, permission, f"{method} {template}") or status >= 500:
            wrong.append(f"{method} {template} ({permission}): {status}")
        if denied:
            refusal = (303 if to_sign_in else 401) if who == ANONYMOUS else 403
            assert status == refusal, (method, template, status)
    assert wrong == []
