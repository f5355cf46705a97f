"""The UI's sessions in the SQLite store (`migrations/sqlite/0008_ui_session.sql`)."""

from __future__ import annotations

import sqlite3
from typing import Any

from podium.store import UiSession

__all__ = ["SessionsMixin"]

_COLUMNS = "id, principal_id, name, issued_at, expires_at, ended_at"


def _session(row: Any) -> UiSession:
    return UiSession(str(row[0]), str(row[1]), str(row[2]), int(row[3]), int(row[4]), row[5])


class SessionsMixin:
    """Sessions by id; a principal's through its index; expired ones through theirs."""

    conn: sqlite3.Connection

    async def put_session(self, session: UiSession) -> None:
        self.conn.execute(
            f"INSERT OR REPLACE INTO ui_session ({_COLUMNS}) VALUES (?,?,?,?,?,?)",
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
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM ui_session WHERE id=?", (session_id,)
        ).fetchone()
        return _session(row) if row else None

    async def end_session(self, session_id: str, at: int) -> bool:
        cur = self.conn.execute(
            "UPDATE ui_session SET ended_at=? WHERE id=? AND ended_at IS NULL", (at, session_id)
        )
        return cur.rowcount > 0

    async def end_sessions_of(self, principal_id: str, at: int) -> int:
        cur = self.conn.execute(
            "UPDATE ui_session SET ended_at=? WHERE principal_id=? AND ended_at IS NULL",
            (at, principal_id),
        )
        return cur.rowcount

    async def open_sessions(self, principal_id: str | None, now: int) -> list[UiSession]:
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM ui_session"
            " WHERE ended_at IS NULL AND expires_at >= ? AND (? IS NULL OR principal_id = ?)"
            " ORDER BY issued_at, id",
            (now, principal_id, principal_id),
        )
        return [_session(r) for r in rows]

    async def prune_sessions(self, expired_before: int) -> int:
        cur = self.conn.execute("DELETE FROM ui_session WHERE expires_at < ?", (expired_before,))
        return cur.rowcount
