"""Per-resource grants at the edge: which resource a route acts on, and the access it needs.

`podium.api.policy.check` asks here only when the caller's roles do not hold a route's
permission: a grant on the one definition the route acts on may still allow it. Routes over many
resources (lists, searches, bulk operations) are then narrowed by their handlers to what the
caller may read or operate (`rights_for`). Worker routes (TASK_WORK) and admin routes have no
rule: for them the roles decide alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

import orjson
from fastapi import Request

from podium.api.auth import principal_of
from podium.auth.policy import Permission, allowed
from podium.auth.principals import Principal
from podium.errors import Forbidden
from podium.model.search import MAX_QUERY_LENGTH
from podium.services.access import TASK_DEF, WORKFLOW_DEF, AccessService, Creator, Rights
from podium.store import SearchRequest

__all__ = [
    "RESOURCE_RULES",
    "Rule",
    "Source",
    "checked_each",
    "creator_of",
    "narrowed_search",
    "require_grant",
    "rights_for",
]


class Source(Enum):
    """Where a route names the resource it acts on."""

    PATH = "a path parameter names the definition"
    WORKFLOW = "the path's workflow_id: its execution's definition"
    TASK = "the path's task_id: its execution's definition"
    START = "the body's name (or workflowDef.name): the definition to start"
    WRITE = "the body's definitions (one object or a list), by their names"
    CREATE = "nothing: only who may create definitions may call it"
    MANY = "many resources: the handler narrows its answer to the caller's rights"


@dataclass(frozen=True, slots=True)
class Rule:
    access: str
    """READ, UPDATE, DELETE or EXECUTE (WRITE: UPDATE on existing definitions)."""
    target: str = WORKFLOW_DEF
    source: Source = Source.PATH
    param: str = "name"
    creates: bool = False
    """WRITE routes that may create new definitions (allowed to holders of METADATA_CREATE)."""


def _rules() -> dict[tuple[str, str], Rule]:
    table: dict[tuple[str, str], Rule] = {}

    def put(rule: Rule, *routes: str) -> None:
        for route in routes:
            method, path = route.split(" ", 1)
            assert (method, path) not in table, route
            table[method, path] = rule

    many = Rule("READ", source=Source.MANY)
    put(
        many,
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
    )
    put(
        Rule("EXECUTE", source=Source.MANY),
        "PUT /api/workflow/bulk/pause",
        "PUT /api/workflow/bulk/resume",
        "POST /api/workflow/bulk/restart",
        "POST /api/workflow/bulk/retry",
        "POST /api/workflow/bulk/terminate",
        "DELETE /api/workflow/bulk/remove",
        "DELETE /api/workflow/bulk/terminate-remove",
    )
    put(
        Rule("READ"),
        "GET /api/metadata/workflow/{name}/versions",
        "GET /api/metadata/workflow/{name}",
        "GET /api/workflow/running/{name}",
        "GET /api/workflow/{name}/correlated/{correlation_id}",
        "POST /api/workflow/{name}/correlated",
    )
    put(Rule("READ", TASK_DEF, param="tasktype"), "GET /api/metadata/taskdefs/{tasktype}")
    put(Rule("DELETE"), "DELETE /api/metadata/workflow/{name}/{version}")
    put(Rule("DELETE", TASK_DEF, param="tasktype"), "DELETE /api/metadata/taskdefs/{tasktype}")
    put(Rule("UPDATE", source=Source.CREATE), "POST /api/metadata/workflow/validate")
    put(
        Rule("UPDATE", source=Source.WRITE, creates=True),
        "POST /api/metadata/workflow",
        "PUT /api/metadata/workflow",
    )
    put(Rule("UPDATE", TASK_DEF, Source.WRITE, creates=True), "POST /api/metadata/taskdefs")
    put(Rule("UPDATE", TASK_DEF, Source.WRITE), "PUT /api/metadata/taskdefs")
    put(Rule("EXECUTE", source=Source.START), "POST /api/workflow", "POST /api/workflow/test")
    put(Rule("EXECUTE"), "POST /api/workflow/{name}", "POST /api/workflow/execute/{name}/{version}")
    put(
        Rule("READ", source=Source.WORKFLOW, param="workflow_id"),
        "GET /api/workflow/{workflow_id}",
        "GET /api/workflow/{workflow_id}/status",
        "GET /api/workflow/{workflow_id}/tasks",
        "GET /api/workflow/{workflow_id}/history",
        "GET /api/tasks/in_progress/{workflow_id}/{ref}",
    )
    put(
        Rule("READ", source=Source.TASK, param="task_id"),
        "GET /api/tasks/{task_id}",
        "GET /api/tasks/{task_id}/log",
    )
    put(
        Rule("EXECUTE", source=Source.WORKFLOW, param="workflow_id"),
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
        "POST /api/tasks/{workflow_id}/{status}/signal",
        "POST /api/tasks/{workflow_id}/{status}/signal/sync",
        "POST /api/tasks/{workflow_id}/{ref}/{status}",
        "POST /api/tasks/{workflow_id}/{ref}/{status}/sync",
        "POST /api/queue/update/{workflow_id}/{ref}/{status}",
        "POST /api/queue/update/{workflow_id}/task/{task_id}/{status}",
    )
    return table


RESOURCE_RULES = _rules()
"""(method, route path) -> how a grant may allow it to a caller whose roles do not."""


def _access(request: Request) -> AccessService:
    service: AccessService = request.app.state.services.access
    return service


async def require_grant(request: Request, route_path: str, principal: Principal) -> None:
    """Allow the request by a grant on the resource it acts on, or refuse it (403)."""
    rule = RESOURCE_RULES.get((request.method, route_path))
    if rule is None:
        raise Forbidden(f"{principal.id} may not {request.method} {route_path}")
    if rule.source is Source.MANY:
        return  # the handler narrows what it does to the caller's rights
    if rule.source is Source.CREATE:
        if not allowed(principal, Permission.METADATA_CREATE):
            raise Forbidden(f"{principal.id} may not create definitions")
        return
    if rule.source is Source.WRITE:
        await _require_write(request, rule, principal)
        return
    name = await _resource(request, rule)
    if name is None:
        raise Forbidden(f"{principal.id} may not {request.method} {route_path}")
    if not (await _access(request).rights(principal)).may(rule.access, rule.target, name):
        raise Forbidden(f"{principal.id} has no {rule.access} permission on {rule.target} {name}")


async def _resource(request: Request, rule: Rule) -> str | None:
    """The name of the definition the request acts on (None: it names none that exists)."""
    if rule.source is Source.START:
        body = _json(await request.body())
        if not isinstance(body, dict):
            return None
        inline = body.get("workflowDef")
        name = body.get("name") or (inline.get("name") if isinstance(inline, dict) else None)
        return name if isinstance(name, str) and name else None
    value = str(request.path_params.get(rule.param, ""))
    if rule.source is Source.WORKFLOW:
        return await _access(request).workflow_name(value)
    if rule.source is Source.TASK:
        return await _access(request).task_workflow_name(value)
    return value


async def _require_write(request: Request, rule: Rule, principal: Principal) -> None:
    """Definitions that exist need UPDATE; new ones need METADATA_CREATE (when the route
    creates). A body naming nothing is left to the handler to refuse (400) if the caller could
    create: it cannot change anything that exists."""
    body = _json(await request.body())
    items = body if isinstance(body, list) else [body]
    names = [i["name"] for i in items if isinstance(i, dict) and isinstance(i.get("name"), str)]
    may_create = rule.creates and allowed(principal, Permission.METADATA_CREATE)
    existing = await _access(request).existing(rule.target, names)
    rights = await _access(request).rights(principal)
    for name in names:
        if name in existing and not rights.may("UPDATE", rule.target, name):
            raise Forbidden(f"{principal.id} has no UPDATE permission on {rule.target} {name}")
        if name not in existing and not may_create:
            raise Forbidden(f"{principal.id} may not create {rule.target} {name}")
    if not names and not may_create:
        raise Forbidden(f"{principal.id} may not {request.method} {request.url.path}")


def _json(raw: bytes) -> object:
    try:
        return orjson.loads(raw) if raw.strip() else None
    except orjson.JSONDecodeError:
        return None


async def rights_for(request: Request, permission: Permission) -> Rights | None:
    """The caller's grants when its roles do not hold `permission` (the answer is then
    narrowed to them); None when they do, or authentication is off."""
    principal = principal_of(request.scope)
    if not request.app.state.settings.auth or principal is None:
        return None
    if allowed(principal, permission):
        return None
    return await _access(request).rights(principal)


async def creator_of(request: Request) -> Creator | None:
    """Who creates the definitions of this request (None with authentication off): the
    caller as owner unless its roles may write every definition, and its groups."""
    principal = principal_of(request.scope)
    if not request.app.state.settings.auth or principal is None:
        return None
    owner = None if allowed(principal, Permission.METADATA_WRITE) else principal.id
    return Creator(owner, tuple(sorted(principal.groups)))


def narrowed_search(search: SearchRequest, rights: Rights | None) -> SearchRequest | None:
    """The search limited to executions of the workflow types the caller may READ (None:
    there are none, the answer is empty). The limit is one more condition of the query, so
    paging and counting stay the store's."""
    if rights is None:
        return search
    types = sorted(rights.named(WORKFLOW_DEF, "READ"))
    if not types:
        return None
    quoted = ", ".join('"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"' for t in types)
    limit = f"workflowType IN ({quoted})"
    query = f"({search.query}) AND {limit}" if search.query else limit
    if len(query) > MAX_QUERY_LENGTH:
        raise Forbidden(
            f"You may read {len(types)} workflow types through grants, too many to search "
            "by: search needs the EXECUTION_READ permission of a role (READ_ONLY_USER)"
        )
    return SearchRequest(query, search.free_text, search.sort, search.start, search.size)


Action = Callable[[str], Awaitable[object]]


def checked_each(request: Request, rights: Rights | None, access: str, action: Action) -> Action:
    """A bulk operation's action for one workflow id, refused (reported for that id in
    `bulkErrorResults`) unless the caller holds `access` on the execution's definition."""
    if rights is None:
        return action

    async def checked(workflow_id: str) -> object:
        name = await _access(request).workflow_name(workflow_id)
        if name is None or not rights.may(access, WORKFLOW_DEF, name):
            raise Forbidden(f"No {access} permission on the workflow of {workflow_id}")
        return await action(workflow_id)

    return checked
