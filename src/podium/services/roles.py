"""Orkes' roles (`/api/roles...`): Podium's system roles, each described by the permissions it
holds in `podium.auth.policy.ROLE_PERMISSIONS` (the one source: nothing here restates them).

Podium has no custom roles yet: a request to create, change or delete one is refused and changes
nothing, and its message names what to do instead. Pure functions: nothing is stored.
"""

from __future__ import annotations

from typing import NoReturn

from podium.auth.policy import DESCRIPTIONS, ROLE_PERMISSIONS, Permission
from podium.auth.principals import APPLICATION_ROLES, USER_ROLES
from podium.errors import BadRequest, NotFound
from podium.services.request_audit import note_resource
from podium.store import JSON

__all__ = [
    "ASSIGNABLE",
    "SYSTEM_ROLES",
    "available_permissions",
    "create_role",
    "delete_role",
    "get_role",
    "list_roles",
    "system_roles",
    "update_role",
]

SYSTEM_ROLES = tuple(dict.fromkeys(USER_ROLES + APPLICATION_ROLES))
"""Orkes' roles for people, then those for applications only."""
ASSIGNABLE = tuple(p for p in Permission if p not in (Permission.OPEN, Permission.ANY))
"""The permissions a role is made of (every caller holds OPEN and ANY, whatever its roles)."""

_INSTEAD = (
    "put people in groups holding system roles (PUT /api/groups/{id}) and grant access to "
    "single definitions and tags (POST /api/auth/authorization)"
)


def _role(name: str) -> JSON:
    held = ROLE_PERMISSIONS[name]
    return {"name": name, "permissions": [{"name": p.value} for p in ASSIGNABLE if p in held]}


def list_roles() -> list[JSON]:
    """Every role: the system roles (there are no custom roles)."""
    return [_role(name) for name in SYSTEM_ROLES]


def system_roles() -> dict[str, JSON]:
    """The system roles by name, as conductor-python's `list_system_roles` reads them."""
    return {name: _role(name) for name in SYSTEM_ROLES}


def available_permissions() -> dict[str, str]:
    """Each permission a role may hold, with what it lets a caller do."""
    return {p.value: DESCRIPTIONS[p] for p in ASSIGNABLE}


def get_role(name: str) -> JSON:
    if name not in ROLE_PERMISSIONS:
        raise NotFound(f"No role {name}: Podium has only its system roles (GET /api/roles)")
    return _role(name)


def create_role(body: object) -> NoReturn:
    """Refused: custom roles are not supported."""
    name = body.get("name") if isinstance(body, dict) else None
    _refuse(name if isinstance(name, str) else None)


def update_role(name: str) -> NoReturn:
    """Refused: a system role's permissions are fixed, and there are no custom roles."""
    _refuse(name)


def delete_role(name: str) -> NoReturn:
    """Refused, as `update_role`."""
    _refuse(name)


def _refuse(name: str | None) -> NoReturn:
    if name is not None:
        note_resource(f"ROLE:{name}")
    if name in ROLE_PERMISSIONS:
        raise BadRequest(f"{name} is a system role: its permissions are fixed; {_INSTEAD}")
    raise BadRequest(f"Podium does not support custom roles: {_INSTEAD}")
