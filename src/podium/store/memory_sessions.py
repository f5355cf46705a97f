"""The UI's sessions in the in-memory store (the twin of `store/sqlite/sessions.py`)."""

from __future__ import annotations

import dataclasses

from podium.store import UiSession
from podium.store.memory_state import MemoryState

__all__ = ["MemorySessions"]


class MemorySessions:
    """Sessions by id; a principal's through a scan (tests hold a handful)."""

    state: MemoryState

    async def put_session(self, session: UiSession) -> None:
        self.state.sessions.put(session.id, session)

    async def get_session(self, session_id: str) -> UiSession | None:
        return self.state.sessions.get(session_id)

    async def end_session(self, session_id: str, at: int) -> bool:
        found = self.state.sessions.get(session_id)
        if found is None or found.ended_at is not None:
            return False
        self.state.sessions.put(session_id, dataclasses.replace(found, ended_at=at))
        return True

    async def end_sessions_of(self, principal_id: str, at: int) -> int:
        mine = [
            s
            for s in self.state.sessions.rows()
            if s.principal_id == principal_id and s.ended_at is None
        ]
        for session in mine:
            self.state.sessions.put(session.id, dataclasses.replace(session, ended_at=at))
        return len(mine)

    async def open_sessions(self, principal_id: str | None, now: int) -> list[UiSession]:
        found = [
            s
            for s in self.state.sessions.rows()
            if s.ended_at is None
            and s.expires_at >= now
            and (principal_id is None or s.principal_id == principal_id)
        ]
        return sorted(found, key=lambda s: (s.issued_at, s.id))

    async def prune_sessions(self, expired_before: int) -> int:
        doomed = [s.id for s in self.state.sessions.rows() if s.expires_at < expired_before]
        for session_id in doomed:
            self.state.sessions.pop(session_id)
        return len(doomed)
