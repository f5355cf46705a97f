"""Which permission each endpoint needs, and the check that enforces it on every route.

Every route must have an entry: a route without one is refused (403) to every caller, and the
authorization matrix test fails, so a new endpoint cannot ship unguarded.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from fastapi import Request
from starlette.responses import Response

from podium.api.auth import principal_of
from podium.api.grants import require_grant
from podium.auth.policy import Permission, allowed
from podium.auth.principals import Principal
from podium.errors import Forbidden, Unauthenticated

__all__ = [
    "ROUTE_POLICY",
    "UNAUDITED",
    "authorize",
    "guarded",
    "open_paths",
    "worker_task_types",
]

P = Permission
_MONITORING_PATHS = (
    "/health",
    "/api/health",
    "/actuator/health",
    "/metrics",
    "/actuator/prometheus",
)


def _table() -> dict[tuple[str, str], Permission]:
    table: dict[tuple[str, str], Permission] = {}

    def put(permission: Permission, *routes: str) -> None:
        for route in routes:
            method, path = route.split(" ", 1)
            assert (method, path) not in table, route
            table[method, path] = permission

    put(P.OPEN, "POST /api/token", "GET /swagger-ui", "GET /swagger-ui/index.html")
    put(P.OPEN, "GET /api-docs", "GET /v3/api-docs")
    # The UI's way in and out (the sign-out form checks its own CSRF token).
    put(P.OPEN, "GET /", "GET /ui/login", "GET /ui/auth/callback", "GET /ui/signed-out")
    put(P.OPEN, "POST /ui/logout")
    put(P.ANY, "GET /ui/")
    put(P.MONITORING, *(f"GET {path}" for path in _MONITORING_PATHS))
    put(P.ANY, "GET /api/token/userInfo", "GET /api/version")
    # What each role may do is documented, no secret: every caller may read it (whoever assigns
    # roles must); changing a role needs ADMIN, and is refused anyway (no custom roles yet).
    put(
        P.ANY,
        "GET /api/roles",
        "GET /api/roles/system",
        "GET /api/roles/custom",
        "GET /api/roles/permissions",
        "GET /api/roles/{name}",
    )
    put(
        P.METADATA_READ,
        "GET /api/metadata/workflow",
        "GET /api/metadata/workflow/latest-versions",
        "GET /api/metadata/workflow/names",
        "GET /api/metadata/workflow/names-and-versions",
        "GET /api/metadata/workflow/{name}/versions",
        "GET /api/metadata/workflow/{name}",
        "POST /api/metadata/workflow/validate",
        "GET /api/metadata/taskdefs",
        "GET /api/metadata/taskdefs/{tasktype}",
        "GET /api/event",
        "GET /api/event/{event}",
        "GET /api/environment",
        "GET /api/environment/{key}",
    )
    put(
        P.METADATA_WRITE,
        "POST /api/metadata/workflow",
        "PUT /api/metadata/workflow",
        "DELETE /api/metadata/workflow/{name}/{version}",
        "POST /api/metadata/taskdefs",
        "PUT /api/metadata/taskdefs",
        "DELETE /api/metadata/taskdefs/{tasktype}",
        "POST /api/event",
        "PUT /api/event",
        "DELETE /api/event/{name}",
    )
    put(
        P.EXECUTION_READ,
        "GET /api/workflow/search",
        "GET /api/workflow/search-v2",
        "GET /api/workflow/search-by-tasks",
        "GET /api/workflow/search-by-tasks-v2",
        "POST /api/workflow/bulk/search",
        "GET /api/workflow/external-storage-location",
        "GET /api/workflow/externalstoragelocation",
        "GET /api/workflow/running/{name}",
        "GET /api/workflow/{name}/correlated/{correlation_id}",
        "POST /api/workflow/{name}/correlated",
        "GET /api/workflow/{workflow_id}",
        "GET /api/workflow/{workflow_id}/status",
        "GET /api/workflow/{workflow_id}/tasks",
        "GET /api/workflow/{workflow_id}/history",
        "GET /api/tasks/{task_id}",
        "GET /api/tasks/{task_id}/log",
        "GET /api/tasks/search",
        "GET /api/tasks/search-v2",
        "GET /api/tasks/external-storage-location",
        "GET /api/tasks/externalstoragelocation",
        "GET /api/tasks/in_progress/{workflow_id}/{ref}",
        "GET /api/tasks/in_progress/{tasktype}",
        "GET /api/tasks/queue/sizes",
        "GET /api/tasks/queue/size",
        "GET /api/tasks/queue/all",
        "GET /api/tasks/queue/all/verbose",
        "GET /api/tasks/queue/polldata",
        "GET /api/tasks/queue/polldata/all",
        "GET /api/queue/size",
        "GET /api/queue/",
    )
    put(
        P.EXECUTION_START,
        "POST /api/workflow",
        "POST /api/workflow/{name}",
        "POST /api/workflow/execute/{name}/{version}",
        "POST /api/workflow/test",
    )
    put(
        P.EXECUTION_OPERATE,
        "PUT /api/workflow/decide/{workflow_id}",
        "PUT /api/workflow/{workflow_id}/pause",
        "PUT /api/workflow/{workflow_id}/resume",
        "PUT /api/workflow/{workflow_id}/skiptask/{ref}",
        "POST /api/workflow/{workflow_id}/rerun",
        "POST /api/workflow/{workflow_id}/restart",
        "POST /api/workflow/{workflow_id}/retry",
        "POST /api/workflow/{workflow_id}/resetcallbacks",
        "DELETE /api/workflow/{workflow_id}",
        "DELETE /api/workflow/{workflow_id}/remove",
        "DELETE /api/workflow/{workflow_id}/terminate-remove",
        "PUT /api/workflow/bulk/pause",
        "PUT /api/workflow/bulk/resume",
        "POST /api/workflow/bulk/restart",
        "POST /api/workflow/bulk/retry",
        "POST /api/workflow/bulk/terminate",
        "DELETE /api/workflow/bulk/remove",
        "DELETE /api/workflow/bulk/terminate-remove",
        "POST /api/tasks/{workflow_id}/{status}/signal",
        "POST /api/tasks/{workflow_id}/{status}/signal/sync",
        "POST /api/tasks/{workflow_id}/{ref}/{status}",
        "POST /api/tasks/{workflow_id}/{ref}/{status}/sync",
        "POST /api/queue/update/{workflow_id}/{ref}/{status}",
        "POST /api/queue/update/{workflow_id}/task/{task_id}/{status}",
    )
    put(
        P.TASK_WORK,
        "GET /api/tasks/poll/batch/{tasktype}",
        "GET /api/tasks/poll/{tasktype}",
        "POST /api/tasks",
        "POST /api/tasks/update-v2",
        "POST /api/tasks/{task_id}/ack",
        "POST /api/tasks/{task_id}/log",
    )
    put(
        P.APPLICATIONS,
        "GET /api/applications",
        "POST /api/applications",
        "GET /api/applications/key/{key_id}",
        "GET /api/applications/{app_id}",
        "PUT /api/applications/{app_id}",
        "DELETE /api/applications/{app_id}",
        "POST /api/applications/{app_id}/accessKeys",
        "GET /api/applications/{app_id}/accessKeys",
        "DELETE /api/applications/{app_id}/accessKeys/{key_id}",
        "POST /api/applications/{app_id}/accessKeys/{key_id}/status",
        "POST /api/applications/{app_id}/roles/{role}",
        "DELETE /api/applications/{app_id}/roles/{role}",
        "GET /api/applications/{app_id}/tags",
        "PUT /api/applications/{app_id}/tags",
        "DELETE /api/applications/{app_id}/tags",
    )
    put(
        P.ADMIN,
        "GET /api/users",
        "GET /api/users/{user_id}",
        "PUT /api/users/{user_id}",
        "DELETE /api/users/{user_id}",
        "GET /api/users/{user_id}/permissions",
        "GET /api/users/{user_id}/checkPermissions",
        "GET /api/groups",
        "GET /api/groups/{group_id}",
        "PUT /api/groups/{group_id}",
        "DELETE /api/groups/{group_id}",
        "POST /api/groups/{group_id}/users/{user_id}",
        "DELETE /api/groups/{group_id}/users/{user_id}",
        "GET /api/groups/{group_id}/users",
        "POST /api/groups/{group_id}/users",
        "DELETE /api/groups/{group_id}/users",
        "GET /api/groups/{group_id}/permissions",
        "POST /api/roles",
        "PUT /api/roles/{name}",
        "DELETE /api/roles/{name}",
    )
    put(
        P.ADMIN,
        "GET /api/audit",
        "POST /api/auth/authorization",
        "DELETE /api/auth/authorization",
        "GET /api/auth/authorization/{target_type}/{target_id}",
        "GET /api/auth/sessions",
        "DELETE /api/auth/sessions",
        "DELETE /api/auth/sessions/{session_id}",
        "POST /api/tasks/queue/requeue/{tasktype}",
        "DELETE /api/tasks/queue/{tasktype}/{task_id}",
        "GET /api/admin/config",
        "GET /api/admin/task/{tasktype}",
        "POST /api/admin/sweep/requeue/{workflow_id}",
        "POST /api/admin/consistency/verifyAndRepair/{workflow_id}",
        "GET /api/admin/queues",
    )
    return table


ROUTE_POLICY = _table()
"""(method, route path) -> the permission it needs."""


def _route_regex(template: str) -> str:
    """A route path as a regular expression: each `{parameter}` is one path segment."""
    return "[^/]+".join(re.escape(part) for part in re.split(r"\{\w+\}", template))


UNAUDITED = re.compile(
    "^(?:"
    + "|".join(
        f"{method} {_route_regex(path)}"
        for (method, path), permission in ROUTE_POLICY.items()
        if permission in (Permission.TASK_WORK, Permission.OPEN)
    )
    + ")$"
)
"""`METHOD path` of the worker protocol (the execution history records each call) and of the
open endpoints (the token request changes nothing): the audit log leaves them out."""


def open_paths(*, open_monitoring: bool) -> frozenset[str]:
    """Paths a request without a token may reach (the authentication middleware's list)."""
    open_ = {path for (_m, path), p in ROUTE_POLICY.items() if p is Permission.OPEN}
    return frozenset(open_ | set(_MONITORING_PATHS) if open_monitoring else open_)


async def check(request: Request, route_path: str) -> None:
    """Refuse the request unless its principal may call this route (auth off: everyone may).

    When the roles do not hold the route's permission, a grant on the resource the route acts
    on may still allow it (`podium.api.grants`). A poll also needs EXECUTE on its task type,
    unless the principal is ADMIN or an UNRESTRICTED_WORKER: nothing is handed out to a worker
    that may not run it.
    """
    settings = request.app.state.settings
    if not settings.auth:
        return
    permission = ROUTE_POLICY.get((request.method, route_path))
    if permission is None:
        raise Forbidden("This endpoint has no access policy: it is refused to everyone")
    if permission is Permission.OPEN or (
        permission is Permission.MONITORING and settings.open_monitoring
    ):
        return
    principal = principal_of(request.scope)
    if principal is None:
        raise Unauthenticated("A token is required: X-Authorization or Bearer")
    if not allowed(principal, permission):
        await require_grant(request, route_path, principal)  # grants stack on roles
    if permission is Permission.TASK_WORK:
        await _check_task_type(request, principal)


async def _check_task_type(request: Request, principal: Principal) -> None:
    """A worker's call naming a task type (a poll) or a task (ack, log) needs EXECUTE on that
    type. Results (`POST /api/tasks`, update-v2) are checked by the task service instead."""
    task_type = request.path_params.get("tasktype")
    task_id = request.path_params.get("task_id")
    if task_type is None and task_id is None:
        return
    services = request.app.state.services
    types = await services.security.executable(principal)
    if types is None:
        return
    if task_type is None:
        task_type = await services.access.task_type(task_id)
    if task_type not in types:
        named = task_type or task_id
        raise Forbidden(f"{principal.id} has no EXECUTE permission on task {named}")


async def worker_task_types(request: Request) -> frozenset[str] | None:
    """The task types the caller may report results for (None: every type, or auth off)."""
    principal = principal_of(request.scope)
    if not request.app.state.settings.auth or principal is None:
        return None
    types: frozenset[str] | None = await request.app.state.services.security.executable(principal)
    return types


async def authorize(request: Request) -> None:
    """The dependency every router is included with: checks the matched route."""
    route = request.scope.get("route")
    await check(request, getattr(route, "path", request.url.path))


Endpoint = Callable[[Request], Awaitable[Response]]


def guarded(path: str, endpoint: Endpoint) -> Endpoint:
    """A plain Starlette endpoint (the hot path) with the same check."""

    async def checked(request: Request) -> Response:
        await check(request, path)
        return await endpoint(request)

    return checked
