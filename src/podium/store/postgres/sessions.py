"""The UI's sessions in the PostgreSQL store (`migrations/postgres/0008_ui_session.sql`)."""

from __future__ import annotations

from psycopg.rows import TupleRow

from podium.store import UiSession
from podium.store.postgres.base import PgBase

__all__ = ["SessionsMixin"]


def _session(row: TupleRow) -> UiSession:
    return UiSession(str(row[0]), str(row[1]), str(row[2]), int(row[3]), int(row[4]), row[5])


class SessionsMixin(PgBase):
    """Sessions by id; a principal's through its index; expired ones through theirs."""

    async def put_session(self, session: UiSession) -> None:
        await self._run(
            "INSERT INTO ui_session (id, principal_id, name, issued_at, expires_at, ended_at)"
            " VALUES (%s,%s,%s,%s,%s,%s)"
            " ON CONFLICT (id) DO UPDATE SET principal_id=EXCLUDED.principal_id,"
            " name=EXCLUDED.name, issued_at=EXCLUDED.issued_at,"
            " expires_at=EXCLUDED.expires_at, ended_at=EXCLUDED.ended_at",
            (
                session.id,
                session.principal_id,
                session.name,
                session.issued_at,
                session.expires_at,
                session.ended_at,
            ),
        )

    async def get_session(self, session_id: str) -> UiSession | None:
        row = await self._one(
            "SELECT id, principal_id, name, issued_at, expires_at, ended_at"
            " FROM ui_session WHERE id=%s",
            (session_id,),
        )
        return _session(row) if row else None

    async def end_session(self, session_id: str, at: int) -> bool:
        ended = await self._count(
            "UPDATE ui_session SET ended_at=%s WHERE id=%s AND ended_at IS NULL",
            (at, session_id),
        )
        return ended > 0

    async def end_sessions_of(self, principal_id: str, at: int) -> int:
        return await self._count(
            "UPDATE ui_session SET ended_at=%s WHERE principal_id=%s AND ended_at IS NULL",
            (at, principal_id),
        )

    async def open_sessions(self, principal_id: str | None, now: int) -> list[UiSession]:
        rows = await self._all(
            "SELECT id, principal_id, name, issued_at, expires_at, ended_at FROM ui_session"
            " WHERE ended_at IS NULL AND expires_at >= %s"
            " AND (%s::text IS NULL OR principal_id = %s::text)"
            " ORDER BY issued_at, id",
            (now, principal_id, principal_id),
        )
        return [_session(r) for r in rows]

    async def prune_sessions(self, expired_before: int) -> int:
        return await self._count("DELETE FROM ui_session WHERE expires_at < %s", (expired_before,))
