"""Who a caller is right now: the roles and groups the store holds for them, added to what
their token (or trusted proxy) says.

Read on every request, so each node keeps what it read in small bounded caches; a change to
an application, a key, a user or a group is announced (`PRINCIPALS_CHANGED`) and every node
drops them at once. A removed role, a deactivated key or a deleted application thus takes
effect on the next request, on every node.
"""

from __future__ import annotations

import dataclasses
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from podium.auth.principals import ROLES, Principal
from podium.errors import Unauthenticated
from podium.services.context import PRINCIPALS_CHANGED, ServiceContext
from podium.store import Tx

__all__ = ["BoundedCache", "Identities"]

K = TypeVar("K")
V = TypeVar("V")

_CACHE_SIZE = 4096
_CACHE_S = 30.0  # a safety net: changes are announced to every node at once
_GONE = "the application or its access key is no longer active"


class BoundedCache(Generic[K, V]):
    """At most `size` entries, each for at most `ttl_s` seconds, least recently stored
    forgotten first."""

    def __init__(self, size: int = _CACHE_SIZE, ttl_s: float = _CACHE_S) -> None:
        self.size = size
        self.ttl_s = ttl_s
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> tuple[bool, V | None]:
        """(found, value): found is False when absent or stale."""
        item = self._items.get(key)
        if item is None or item[0] < time.monotonic():
            return False, None
        return True, item[1]

    def put(self, key: K, value: V) -> None:
        self._items[key] = (time.monotonic() + self.ttl_s, value)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


@dataclasses.dataclass(frozen=True, slots=True)
class StoredUser:
    """What the store holds for a person: their own roles and their groups."""

    roles: frozenset[str]
    groups: frozenset[str]


class Identities:
    """Completes the principal a token names with what the store holds."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._apps: BoundedCache[tuple[str, str | None], Principal | None] = BoundedCache()
        self._users: BoundedCache[str, StoredUser] = BoundedCache()
        self._groups: BoundedCache[str, frozenset[str]] = BoundedCache()
        ctx.wakeups.on(PRINCIPALS_CHANGED, self.forget)

    def forget(self) -> None:
        """Drop everything read (another node, or this one, changed a principal)."""
        self._apps.clear()
        self._users.clear()
        self._groups.clear()

    async def identify(self, claimed: Principal) -> Principal:
        """The principal as it stands now; Unauthenticated for an application that is gone
        or whose key is inactive."""
        if claimed.application:
            return await self._application(claimed)
        return await self._person(claimed)

    async def _application(self, claimed: Principal) -> Principal:
        cache_key = (claimed.id, claimed.key_id)
        found, live = self._apps.get(cache_key)
        if not found:
            live = await self._read(lambda tx: _live_application(tx, claimed))
            self._apps.put(cache_key, live)
        if live is None:
            raise Unauthenticated(_GONE)
        return live

    async def _person(self, claimed: Principal) -> Principal:
        found, stored = self._users.get(claimed.id)
        if not found or stored is None:
            stored = await self._read(lambda tx: _stored_user(tx, claimed.id))
            self._users.put(claimed.id, stored)
        groups = claimed.groups | stored.groups
        roles = set(claimed.roles | stored.roles)
        missing = []
        for group_id in sorted(groups):
            known, group_roles = self._groups.get(group_id)
            if known and group_roles is not None:
                roles |= group_roles
            else:
                missing.append(group_id)
        if missing:
            read = await self._read(lambda tx: _group_roles(tx, missing))
            for group_id, group_roles in read.items():
                self._groups.put(group_id, group_roles)
                roles |= group_roles
        return dataclasses.replace(claimed, roles=frozenset(roles), groups=groups)

    async def _read(self, reader: Callable[[Tx], Awaitable[V]]) -> V:
        # A plain transaction, not a unit of work: a read must not carry the audit record of
        # the request being served.
        async with self.ctx.store.transaction() as tx:
            return await reader(tx)


async def _live_application(tx: Tx, claimed: Principal) -> Principal | None:
    app_id = claimed.id.removeprefix("app:")
    app = await tx.get_application(app_id)
    key = await tx.get_access_key(claimed.key_id) if claimed.key_id else None
    if (
        app is None
        or key is None
        or key.get("applicationId") != app_id
        or key.get("status") != "ACTIVE"
    ):
        return None
    roles = frozenset(str(r) for r in app.get("roles", ())) & ROLES
    return Principal.of_application(app_id, str(app["name"]), roles, claimed.key_id)


async def _stored_user(tx: Tx, user_id: str) -> StoredUser:
    user = await tx.get_user(user_id)
    roles = frozenset(str(r) for r in user.get("roles", ())) & ROLES if user else frozenset()
    return StoredUser(roles, frozenset(await tx.groups_of_user(user_id)))


async def _group_roles(tx: Tx, group_ids: list[str]) -> dict[str, frozenset[str]]:
    out = {}
    for group_id in group_ids:
        group = await tx.get_group(group_id)
        roles = group.get("roles", ()) if group else ()
        out[group_id] = frozenset(str(r) for r in roles) & ROLES
    return out
