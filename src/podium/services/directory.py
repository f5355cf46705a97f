"""People's user records and groups (`/api/users`, `/api/groups`), and what they may do.

A person's user id is the principal id their token or trusted proxy names (a JWT's `sub`, the
proxy's `X-User`). Their roles are those of the token, of their user record and of each of
their groups; grants to a GROUP apply to its members. An application shows here as the user
`app:<id>` (read-only: it is changed through `/api/applications`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from podium.auth.principals import ROLES, Principal
from podium.errors import BadRequest, NotFound
from podium.services.context import (
    GRANTS_CHANGED,
    PRINCIPALS_CHANGED,
    SESSIONS_CHANGED,
    ServiceContext,
)
from podium.services.request_audit import note_resource
from podium.services.security import ACCESS, TARGET_TYPES, granted_access, remove_grants_of
from podium.services.unit import Unit, unit_of_work
from podium.store import JSON, Grant, Tx

__all__ = ["DirectoryService"]

_APP = "app:"


class DirectoryService:
    """Users, groups, membership, and the grants each holds."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # -- users -------------------------------------------------------------------------------
    async def list_users(self, *, apps: bool = False) -> list[JSON]:
        """Every person with a user record; with `apps`, every application too."""
        async with unit_of_work(self.ctx) as unit:
            users = [await _user_json(unit.tx, u) for u in await unit.tx.list_users()]
            if apps:
                users += [_app_user(a) for a in await unit.tx.list_applications()]
        return users

    async def get_user(self, user_id: str) -> JSON:
        async with unit_of_work(self.ctx) as unit:
            return await _any_user(unit.tx, user_id)

    async def upsert_user(self, user_id: str, body: object, *, by: Principal | None) -> JSON:
        """`PUT /api/users/{id}` with `{"name", "roles", "groups"}`: the groups named become
        exactly the user's groups."""
        note_resource(f"USER:{user_id}")
        if user_id.startswith(_APP):
            raise BadRequest("Applications are changed through /api/applications")
        fields = body if isinstance(body, dict) else None
        if fields is None:
            raise BadRequest('The body must be {"name", "roles", "groups"}')
        name = fields.get("name")
        if name is None or name == "":
            name = user_id
        if not isinstance(name, str):
            raise BadRequest("name must be a string")
        roles, groups = _roles(fields.get("roles")), _names(fields.get("groups"), "groups")
        async with self._changing(f"USER:{user_id}") as unit:
            unknown = [g for g in groups if await unit.tx.get_group(g) is None]
            if unknown:
                raise BadRequest(f"No such groups: {', '.join(unknown)}")
            user = await unit.tx.get_user(user_id) or self._created(user_id, by)
            user = {**user, "name": name, "roles": roles, **self._stamp(by)}
            await unit.tx.put_user(user)
            before = set(await unit.tx.groups_of_user(user_id))
            for group_id in sorted(before - set(groups)):
                await unit.tx.remove_group_members(group_id, [user_id])
            for group_id in sorted(set(groups) - before):
                await unit.tx.add_group_members(group_id, [user_id])
            return await _user_json(unit.tx, user)

    async def delete_user(self, user_id: str) -> None:
        """Delete the user record, its memberships and the grants naming it; end its UI
        sessions."""
        async with self._changing(f"USER:{user_id}") as unit:
            if user_id.startswith(_APP) or not await unit.tx.delete_user(user_id):
                raise NotFound(f"No such user: {user_id}")
            await remove_grants_of(unit.tx, "USER", user_id)
            unit.wake.add(GRANTS_CHANGED)
            if await unit.tx.end_sessions_of(user_id, self.ctx.clock() // 1000):
                unit.wake.add(SESSIONS_CHANGED)

    async def user_permissions(self, user_id: str) -> JSON:
        """What the user may do through grants: its own, its groups' and its roles'."""
        async with unit_of_work(self.ctx) as unit:
            grants = await _grants_of_user(unit.tx, user_id)
        return granted_access(grants)

    async def check_permissions(self, user_id: str, target_type: str, target_id: str) -> JSON:
        """`{access: bool}` of the user on one target (an ADMIN holds every access)."""
        if target_type not in TARGET_TYPES:
            raise BadRequest(f"type must be one of {sorted(TARGET_TYPES)}")
        if not target_id:
            raise BadRequest("id is required")
        async with unit_of_work(self.ctx) as unit:
            user = await _any_user(unit.tx, user_id)
            grants = await _grants_of_user(unit.tx, user_id)
        admin = any(role["name"] == "ADMIN" for role in _all_roles(user))
        held = {
            g.access for g in grants if (g.target_type, g.target_id) == (target_type, target_id)
        }
        return {access: admin or access in held for access in sorted(ACCESS)}

    # -- groups ------------------------------------------------------------------------------
    async def list_groups(self) -> list[JSON]:
        async with unit_of_work(self.ctx) as unit:
            return [_group_json(g) for g in await unit.tx.list_groups()]

    async def get_group(self, group_id: str) -> JSON:
        async with unit_of_work(self.ctx) as unit:
            return _group_json(await _group(unit.tx, group_id))

    async def upsert_group(self, group_id: str, body: object, *, by: Principal | None) -> JSON:
        """`PUT /api/groups/{id}` with `{"description", "roles", "defaultAccess"}`."""
        note_resource(f"GROUP:{group_id}")
        fields = body if isinstance(body, dict) else None
        if fields is None:
            raise BadRequest('The body must be {"description", "roles", "defaultAccess"}')
        description = fields.get("description", "")
        if description is None:
            description = ""
        if not isinstance(description, str):
            raise BadRequest("description must be a string")
        roles, default_access = _roles(fields.get("roles")), _default_access(fields)
        async with self._changing(f"GROUP:{group_id}") as unit:
            group = await unit.tx.get_group(group_id) or self._created(group_id, by)
            group = {
                **group,
                "description": description,
                "roles": roles,
                "defaultAccess": default_access,
                **self._stamp(by),
            }
            await unit.tx.put_group(group)
        return _group_json(group)

    async def delete_group(self, group_id: str) -> None:
        """Delete the group, its memberships and the grants naming it."""
        async with self._changing(f"GROUP:{group_id}") as unit:
            if not await unit.tx.delete_group(group_id):
                raise NotFound(f"No such group: {group_id}")
            await remove_grants_of(unit.tx, "GROUP", group_id)
            unit.wake.add(GRANTS_CHANGED)

    async def change_members(self, group_id: str, user_ids: object, *, add: bool) -> None:
        """Add users (each must have a user record) to a group, or remove them."""
        note_resource(f"GROUP:{group_id}")
        names = _names(user_ids, "the body")
        async with self._changing(f"GROUP:{group_id}") as unit:
            await _group(unit.tx, group_id)
            if add:
                unknown = [u for u in names if await unit.tx.get_user(u) is None]
                if unknown:
                    raise NotFound(f"No such users: {', '.join(unknown)}")
                await unit.tx.add_group_members(group_id, names)
            else:
                await unit.tx.remove_group_members(group_id, names)

    async def members(self, group_id: str) -> list[JSON]:
        async with unit_of_work(self.ctx) as unit:
            await _group(unit.tx, group_id)
            users = [await unit.tx.get_user(u) for u in await unit.tx.group_members(group_id)]
            return [await _user_json(unit.tx, u) for u in users if u is not None]

    async def group_permissions(self, group_id: str) -> JSON:
        async with unit_of_work(self.ctx) as unit:
            await _group(unit.tx, group_id)
            grants = await unit.tx.grants_of_subject("GROUP", group_id)
        return granted_access(grants)

    # -- helpers -----------------------------------------------------------------------------
    @asynccontextmanager
    async def _changing(self, resource: str) -> AsyncIterator[Unit]:
        """A unit of work that tells every node, once committed, that a principal changed."""
        note_resource(resource)
        async with unit_of_work(self.ctx) as unit:
            unit.wake.add(PRINCIPALS_CHANGED)
            yield unit

    def _created(self, some_id: str, by: Principal | None) -> JSON:
        return {"id": some_id, "createdBy": _actor(by), "createTime": self.ctx.clock()}

    def _stamp(self, by: Principal | None) -> JSON:
        return {"updatedBy": _actor(by), "updateTime": self.ctx.clock()}


def _actor(by: Principal | None) -> str:
    return by.id if by else "anonymous"


def _role_list(roles: object) -> list[JSON]:
    return [{"name": r} for r in sorted(roles)] if isinstance(roles, list) else []


def _group_json(group: JSON) -> JSON:
    return {
        "id": group["id"],
        "description": group.get("description", ""),
        "roles": _role_list(group.get("roles")),
        "defaultAccess": group.get("defaultAccess", {}),
    }


async def _user_json(tx: Tx, user: JSON) -> JSON:
    groups = [await tx.get_group(g) for g in await tx.groups_of_user(str(user["id"]))]
    return {
        "id": user["id"],
        "name": user.get("name", user["id"]),
        "roles": _role_list(user.get("roles")),
        "groups": [_group_json(g) for g in groups if g is not None],
        "applicationUser": False,
    }


def _app_user(app: JSON) -> JSON:
    return {
        "id": f"{_APP}{app['id']}",
        "name": app.get("name", ""),
        "roles": _role_list(app.get("roles")),
        "groups": [],
        "applicationUser": True,
    }


def _all_roles(user: JSON) -> list[JSON]:
    """The user's roles and those of its groups."""
    return [*user["roles"], *(role for group in user["groups"] for role in group["roles"])]


async def _any_user(tx: Tx, user_id: str) -> JSON:
    if user_id.startswith(_APP):
        app = await tx.get_application(user_id.removeprefix(_APP))
        if app is not None:
            return _app_user(app)
    else:
        user = await tx.get_user(user_id)
        if user is not None:
            return await _user_json(tx, user)
    raise NotFound(f"No such user: {user_id}")


async def _grants_of_user(tx: Tx, user_id: str) -> list[Grant]:
    user = await _any_user(tx, user_id)
    subjects = [("USER", user_id)]
    subjects += [("GROUP", str(g["id"])) for g in user["groups"]]
    subjects += sorted({("ROLE", str(r["name"])) for r in _all_roles(user)})
    return [g for s in subjects for g in await tx.grants_of_subject(*s)]


async def _group(tx: Tx, group_id: str) -> JSON:
    group = await tx.get_group(group_id)
    if group is None:
        raise NotFound(f"No such group: {group_id}")
    return group


def _names(value: object, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise BadRequest(f"{what} must be a list of non-empty strings")
    return sorted(set(value))


def _roles(value: object) -> list[str]:
    roles = _names(value, "roles")
    unknown = sorted(set(roles) - ROLES)
    if unknown:
        raise BadRequest(f"Unknown roles: {', '.join(unknown)}; known: {sorted(ROLES)}")
    return roles


_DEFAULT_ACCESS_TYPES = ("WORKFLOW_DEF", "TASK_DEF")
"""What a group's `defaultAccess` may name: the kinds of resource its members create."""


def _default_access(fields: JSON) -> dict[str, list[str]]:
    value = fields.get("defaultAccess")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest("defaultAccess must map target types to lists of access")
    out = {}
    for target_type, access in value.items():
        names = _names(access, f"defaultAccess.{target_type}")
        if target_type not in _DEFAULT_ACCESS_TYPES or not set(names) <= ACCESS:
            raise BadRequest(
                f"defaultAccess maps {' or '.join(_DEFAULT_ACCESS_TYPES)} (what members create) "
                f"to a list of {sorted(ACCESS)}"
            )
        out[str(target_type)] = names
    return out
