"""What each role may do: endpoints are grouped into permissions, roles hold permissions.

Pure data and one rule; which endpoint needs which permission is the API's table
(`podium.api.policy`). A role's permission covers every resource of its kind. Per-resource grants
stack on roles: a route the roles do not cover may still be allowed by a grant on the one
definition it acts on (`podium.api.grants`, `podium.services.access`); and they narrow
`TASK_WORK` for the WORKER role (it may work only on task types it holds EXECUTE on).
"""

from __future__ import annotations

from enum import StrEnum

from podium.auth.principals import ADMIN_ONLY_ROLES, Principal

__all__ = ["DESCRIPTIONS", "ROLE_PERMISSIONS", "Permission", "allowed", "may_give"]


class Permission(StrEnum):
    """What an endpoint needs; `DESCRIPTIONS` says what each one lets a caller do."""

    OPEN = "open"
    MONITORING = "monitoring"
    ANY = "any"
    METADATA_READ = "metadata:read"
    METADATA_WRITE = "metadata:write"
    METADATA_CREATE = "metadata:create"
    EXECUTION_READ = "execution:read"
    EXECUTION_START = "execution:start"
    EXECUTION_OPERATE = "execution:operate"
    TASK_WORK = "task:work"
    APPLICATIONS = "applications"
    ADMIN = "admin"


DESCRIPTIONS: dict[Permission, str] = {
    Permission.OPEN: "No principal needed: the token endpoint, the API description.",
    Permission.MONITORING: "Health and metrics: open unless configured closed, then ADMIN only.",
    Permission.ANY: "Any authenticated principal: who am I, the server version, the roles.",
    Permission.METADATA_READ: "Read workflow and task definitions, event handlers, environment.",
    Permission.METADATA_WRITE: "Create, update and delete any workflow or task definition and "
    "event handler.",
    # No route needs it alone: it lets a caller without METADATA_WRITE create a definition.
    Permission.METADATA_CREATE: "Create new workflow and task definitions, of which the creator "
    "becomes the owner.",
    Permission.EXECUTION_READ: "Read and search executions and tasks, task logs, queue sizes "
    "and poll data.",
    Permission.EXECUTION_START: "Start, execute and test workflows.",
    Permission.EXECUTION_OPERATE: "Pause, resume, retry, rerun, restart, skip, terminate and "
    "remove executions; complete a task by reference; signal.",
    Permission.TASK_WORK: "A worker's calls: poll, update, ack, task log.",
    Permission.APPLICATIONS: "Applications, their access keys, roles and tags (admin-only "
    "roles: ADMIN alone).",
    Permission.ADMIN: "Server administration: users, groups, grants, configuration, queues, "
    "repairs, the audit log.",
}
"""What each permission lets a caller do (`GET /api/roles/permissions` serves it)."""

_READ = frozenset({Permission.METADATA_READ, Permission.EXECUTION_READ})
_RUN = frozenset({Permission.EXECUTION_START, Permission.EXECUTION_OPERATE})
_METADATA = frozenset(
    {Permission.METADATA_READ, Permission.METADATA_WRITE, Permission.METADATA_CREATE}
)

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "ADMIN": frozenset(Permission),
    "METADATA_MANAGER": _METADATA,
    "METADATA_API": _METADATA,
    "WORKFLOW_MANAGER": _READ | _RUN,
    "APPLICATION_API": _READ | _RUN,
    "READ_ONLY_USER": _READ,
    # Orkes' USER acts on its own resources: it creates definitions (and owns them); what it
    # may read, start and operate beyond that, grants decide.
    "USER": frozenset({Permission.METADATA_CREATE}),
    "WORKER": frozenset({Permission.TASK_WORK}),
    "UNRESTRICTED_WORKER": frozenset({Permission.TASK_WORK}),
    "APPLICATION_MANAGER": frozenset({Permission.APPLICATIONS}),
}
"""Every role also holds ANY (and OPEN). An unknown role holds nothing."""


def allowed(principal: Principal, permission: Permission) -> bool:
    """Whether one of the principal's roles holds the permission."""
    if permission in (Permission.OPEN, Permission.ANY):
        return True
    return any(permission in ROLE_PERMISSIONS.get(role, ()) for role in principal.roles)


def may_give(principal: Principal | None, role: str) -> bool:
    """Whether the principal may give `role` to an application, or change an application
    holding it: admin-only roles need ADMIN (None: authentication is off, anyone may)."""
    return principal is None or role not in ADMIN_ONLY_ROLES or "ADMIN" in principal.roles
