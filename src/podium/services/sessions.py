"""The UI's sessions as the store records them: a session cookie is accepted only while its
session is open, so signing out, or an admin, ends it for real (a copied cookie with it).

Checked on every request made with a cookie, so each node remembers what it read for a short
while; ending a session is announced (`SESSIONS_CHANGED`) and every node forgets at once. A
row is keyed by a digest of the cookie's `sid`: what the store and the admin API show cannot
be turned back into a cookie (which needs the cluster's signature anyway).
"""

from __future__ import annotations

import base64
import hashlib
import time

from podium.auth.principals import Principal
from podium.auth.tokens import LEEWAY_S
from podium.errors import NotFound
from podium.services.context import SESSIONS_CHANGED, ServiceContext
from podium.services.identities import BoundedCache
from podium.services.request_audit import note_resource
from podium.services.unit import unit_of_work
from podium.store import JSON, UiSession

__all__ = ["UiSessions", "session_id"]

_PRUNE_EVERY_S = 60.0  # expired rows go with the next sign-in on this node after this long


def session_id(sid: str) -> str:
    """The stored id of the session whose cookie carries `sid` (an opaque digest)."""
    digest = hashlib.sha256(b"podium ui session:" + sid.encode()).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class UiSessions:
    """Records sessions, tells whether one is open, ends them, lists the open ones."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._open: BoundedCache[str, bool] = BoundedCache()
        self._next_prune = 0.0
        ctx.wakeups.on(SESSIONS_CHANGED, self.forget)

    def forget(self) -> None:
        """Drop what was read (a session ended on this node or another)."""
        self._open.clear()

    async def record(self, sid: str, principal: Principal, issued: int, expires: int) -> None:
        """Record a session just issued (epoch seconds); now and then prune expired ones."""
        row = UiSession(session_id(sid), principal.id, principal.name, issued, expires)
        async with unit_of_work(self.ctx) as unit:
            await unit.tx.put_session(row)
            if time.monotonic() >= self._next_prune:
                self._next_prune = time.monotonic() + _PRUNE_EVERY_S
                # Past the cookie's leeway its expiry refuses it anyway: the row is not needed.
                await unit.tx.prune_sessions(issued - LEEWAY_S)

    async def is_open(self, sid: str) -> bool:
        """Whether the session of this `sid` was recorded and has not been ended."""
        key = session_id(sid)
        found, open_ = self._open.get(key)
        if not found or open_ is None:
            # A plain transaction: a read must not carry the audit record of the request served.
            async with self.ctx.store.transaction() as tx:
                row = await tx.get_session(key)
            open_ = row is not None and row.ended_at is None
            self._open.put(key, open_)
        return open_

    async def end(self, sid: str) -> None:
        """Sign-out: end the session of this `sid` on every node."""
        await self.end_by_id(session_id(sid), missing_ok=True)

    async def end_by_id(self, stored_id: str, *, missing_ok: bool = False) -> None:
        """End one session by its stored id; NotFound when none is open with it."""
        note_resource(f"SESSION:{stored_id}")
        async with unit_of_work(self.ctx) as unit:
            ended = await unit.tx.end_session(stored_id, self._now_s())
            if ended:
                unit.wake.add(SESSIONS_CHANGED)
        if not ended and not missing_ok:
            raise NotFound(f"No open session: {stored_id}")

    async def end_of(self, principal_id: str) -> int:
        """End every open session of one principal; how many there were."""
        note_resource(f"USER:{principal_id}")
        async with unit_of_work(self.ctx) as unit:
            ended = await unit.tx.end_sessions_of(principal_id, self._now_s())
            if ended:
                unit.wake.add(SESSIONS_CHANGED)
        return ended

    async def list_open(self, principal_id: str | None) -> list[JSON]:
        """The open sessions (of one principal, or everyone's), oldest first; times in ms."""
        async with unit_of_work(self.ctx) as unit:
            rows = await unit.tx.open_sessions(principal_id, self._now_s())
        return [
            {
                "id": r.id,
                "principal": r.principal_id,
                "name": r.name,
                "issued": r.issued_at * 1000,
                "expires": r.expires_at * 1000,
            }
            for r in rows
        ]

    def _now_s(self) -> int:
        return self.ctx.clock() // 1000
