"""Applications (Orkes' machine clients), their access keys, roles and tags.

An application's roles take effect on its next request, on every node: each change is
announced (`PRINCIPALS_CHANGED`) and every node drops what it cached about principals. Only an
ADMIN may give an admin-only role, or change an application that holds one (else an
APPLICATION_MANAGER could make itself a key of an ADMIN application).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from podium.auth.keys import hash_secret, new_secret
from podium.auth.policy import may_give
from podium.auth.principals import ROLES, Principal
from podium.errors import BadRequest, Forbidden, NotFound
from podium.services.context import GRANTS_CHANGED, PRINCIPALS_CHANGED, ServiceContext
from podium.services.request_audit import note_resource
from podium.services.security import remove_grants_of
from podium.services.unit import Unit, unit_of_work
from podium.store import JSON, Tx

__all__ = ["ApplicationService"]

_PUBLIC = ("id", "name", "roles", "createdBy", "createTime", "updatedBy", "updateTime")
_STATUSES = ("ACTIVE", "INACTIVE")


class ApplicationService:
    """`/api/applications...`: create, change and delete applications and their keys."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def create_application(
        self, name: object, roles: Iterable[str] = (), *, actor: str, by: Principal | None = None
    ) -> JSON:
        """A new application named `name` holding `roles`."""
        roles = sorted(set(roles))
        _check_roles(roles, by)
        now = self.ctx.clock()
        app = {
            "id": self.ctx.new_id(),
            "name": _name(name),
            "roles": roles,
            "createdBy": actor,
            "createTime": now,
            "updatedBy": actor,
            "updateTime": now,
        }
        note_resource(f"APPLICATION:{app['id']}")
        async with unit_of_work(self.ctx) as unit:
            await unit.tx.put_application(app)
        return _public(app)

    async def list_applications(self) -> list[JSON]:
        async with unit_of_work(self.ctx) as unit:
            return [_public(app) for app in await unit.tx.list_applications()]

    async def get_application(self, app_id: str) -> JSON:
        async with unit_of_work(self.ctx) as unit:
            return _public(await _app(unit.tx, app_id))

    async def rename(self, app_id: str, name: object, *, by: Principal | None) -> JSON:
        """`PUT /api/applications/{id}` with `{"name"}`."""
        note_resource(f"APPLICATION:{app_id}")
        new_name = _name(name)
        async with self._changing(app_id) as unit:
            app = await _changeable(unit.tx, app_id, by)
            app = {**app, "name": new_name, **self._stamp(by)}
            await unit.tx.put_application(app)
        return _public(app)

    async def delete_application(self, app_id: str, *, by: Principal | None) -> None:
        """Delete the application, its keys, its tags and the grants naming it."""
        async with self._changing(app_id) as unit:
            await _changeable(unit.tx, app_id, by)
            await unit.tx.delete_application(app_id)
            await remove_grants_of(unit.tx, "USER", f"app:{app_id}")
            await unit.tx.remove_grants(await unit.tx.grants_on_target("APPLICATION", app_id))
            unit.wake.add(GRANTS_CHANGED)

    async def change_role(self, app_id: str, role: str, *, add: bool, by: Principal | None) -> JSON:
        """Give the application `role`, or take it away."""
        note_resource(f"APPLICATION:{app_id}")
        _check_roles([role], by)
        async with self._changing(app_id) as unit:
            app = await _changeable(unit.tx, app_id, by)
            roles = set(app.get("roles", ()))
            roles = roles | {role} if add else roles - {role}
            app = {**app, "roles": sorted(roles), **self._stamp(by)}
            await unit.tx.put_application(app)
        return _public(app)

    # -- access keys -------------------------------------------------------------------------
    async def create_access_key(self, app_id: str, *, by: Principal | None = None) -> JSON:
        """A new key of the application: `{"id", "secret"}`, the only time the secret is seen."""
        secret = new_secret()
        key = {
            "id": secrets.token_hex(16),
            "applicationId": app_id,
            "secretHash": await asyncio.to_thread(hash_secret, secret),
            "status": "ACTIVE",
            "createdAt": self.ctx.clock(),
        }
        note_resource(f"APPLICATION:{app_id}")
        async with unit_of_work(self.ctx) as unit:
            await _changeable(unit.tx, app_id, by)
            await unit.tx.put_access_key(key)
        return {"id": key["id"], "secret": secret}

    async def access_keys(self, app_id: str) -> list[JSON]:
        """The application's keys: id, createdAt and status (never the secret or its hash)."""
        async with unit_of_work(self.ctx) as unit:
            await _app(unit.tx, app_id)
            return [_key(k) for k in await unit.tx.list_access_keys(app_id)]

    async def toggle_access_key(self, app_id: str, key_id: str, *, by: Principal | None) -> JSON:
        """ACTIVE becomes INACTIVE and back; an inactive key's tokens are refused at once."""
        async with self._changing(app_id) as unit:
            await _changeable(unit.tx, app_id, by)
            key = await _key_of(unit.tx, app_id, key_id)
            status = _STATUSES[1] if key.get("status") == _STATUSES[0] else _STATUSES[0]
            key = {**key, "status": status}
            await unit.tx.put_access_key(key)
        return _key(key)

    async def delete_access_key(self, app_id: str, key_id: str, *, by: Principal | None) -> None:
        async with self._changing(app_id) as unit:
            await _changeable(unit.tx, app_id, by)
            await _key_of(unit.tx, app_id, key_id)
            await unit.tx.delete_access_key(key_id)

    async def application_of_key(self, key_id: str) -> JSON:
        """`GET /api/applications/key/{accessKeyId}`: the application owning the key."""
        async with unit_of_work(self.ctx) as unit:
            key = await unit.tx.get_access_key(key_id)
            if key is None:
                raise NotFound(f"No such access key: {key_id}")
            return _public(await _app(unit.tx, str(key["applicationId"])))

    # -- tags --------------------------------------------------------------------------------
    async def tags(self, app_id: str) -> list[JSON]:
        async with unit_of_work(self.ctx) as unit:
            await _app(unit.tx, app_id)
            tags = await unit.tx.application_tags(app_id)
        return [{"key": k, "type": "METADATA", "value": v} for k, v in tags]

    async def change_tags(
        self, app_id: str, body: object, *, add: bool, by: Principal | None
    ) -> None:
        """Add these tags (`PUT`) or remove them (`DELETE`)."""
        note_resource(f"APPLICATION:{app_id}")
        tags = _tags(body)
        async with unit_of_work(self.ctx) as unit:
            await _changeable(unit.tx, app_id, by)
            if add:
                await unit.tx.add_application_tags(app_id, tags)
            else:
                await unit.tx.remove_application_tags(app_id, tags)

    # -- helpers -----------------------------------------------------------------------------
    @asynccontextmanager
    async def _changing(self, app_id: str) -> AsyncIterator[Unit]:
        """A unit of work on the application that tells every node, once committed, that a
        principal changed."""
        note_resource(f"APPLICATION:{app_id}")
        async with unit_of_work(self.ctx) as unit:
            unit.wake.add(PRINCIPALS_CHANGED)
            yield unit

    def _stamp(self, by: Principal | None) -> JSON:
        return {"updatedBy": by.id if by else "anonymous", "updateTime": self.ctx.clock()}


def _public(app: JSON) -> JSON:
    return {k: app[k] for k in _PUBLIC if k in app}


def _key(key: JSON) -> JSON:
    return {"id": key["id"], "createdAt": key.get("createdAt", 0), "status": key.get("status")}


def _name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("An application needs a name")
    return name.strip()


def _check_roles(roles: list[str], by: Principal | None) -> None:
    unknown = sorted(set(roles) - ROLES)
    if unknown:
        raise BadRequest(f"Unknown roles: {', '.join(unknown)}; known: {sorted(ROLES)}")
    refused = [role for role in roles if not may_give(by, role)]
    if refused:
        raise Forbidden(f"Only an ADMIN may give the role {refused[0]}")


async def _app(tx: Tx, app_id: str) -> JSON:
    app = await tx.get_application(app_id)
    if app is None:
        raise NotFound(f"No such application: {app_id}")
    return app


async def _changeable(tx: Tx, app_id: str, by: Principal | None) -> JSON:
    """The application, when `by` may change it (ADMIN, or it holds no admin-only role)."""
    app = await _app(tx, app_id)
    held = [role for role in app.get("roles", ()) if not may_give(by, role)]
    if held:
        raise Forbidden(f"Only an ADMIN may change an application holding the role {held[0]}")
    return app


async def _key_of(tx: Tx, app_id: str, key_id: str) -> JSON:
    key = await tx.get_access_key(key_id)
    if key is None or key.get("applicationId") != app_id:
        raise NotFound(f"No access key {key_id} in application {app_id}")
    return key


def _tags(body: object) -> list[tuple[str, str]]:
    """The `[{"key", "value"}]` a tags request names; BadRequest when malformed."""
    if not isinstance(body, list):
        raise BadRequest('The body must be a list of {"key", "value"}')
    tags = []
    for tag in body:
        key = tag.get("key") if isinstance(tag, dict) else None
        value = tag.get("value") if isinstance(tag, dict) else None
        if not isinstance(key, str) or not key or not isinstance(value, str | int | float):
            raise BadRequest('Each tag needs a non-empty "key" and a "value"')
        tags.append((key, str(value)))
    return tags
