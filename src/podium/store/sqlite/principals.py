"""Applications, access keys, access grants and server secrets of the SQLite store
(`migrations/sqlite/0004_principals.sql`, `0005_grants.sql`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import orjson

from podium.store import JSON, Grant

__all__ = ["PrincipalsMixin"]


def _row(grant: Grant) -> tuple[str, str, str, str, str]:
    return (grant.subject_type, grant.subject_id, grant.target_type, grant.target_id, grant.access)


def _load(body: bytes) -> JSON:
    parsed: JSON = orjson.loads(body)
    return parsed


class PrincipalsMixin:
    """Applications by id; their access keys found through an index on the application; grants
    found by subject through their key, by target through an index."""

    conn: sqlite3.Connection

    async def get_application(self, app_id: str) -> JSON | None:
        row = self.conn.execute("SELECT body FROM application WHERE id=?", (app_id,)).fetchone()
        return _load(row[0]) if row else None

    async def list_applications(self) -> list[JSON]:
        rows = self.conn.execute("SELECT body FROM application ORDER BY id")
        return [_load(r[0]) for r in rows]

    async def put_application(self, application: JSON) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO application (id, body) VALUES (?,?)",
            (application["id"], orjson.dumps(application)),
        )

    async def delete_application(self, app_id: str) -> bool:
        self.conn.execute("DELETE FROM access_key WHERE app_id=?", (app_id,))
        self.conn.execute("DELETE FROM application_tag WHERE app_id=?", (app_id,))
        return self.conn.execute("DELETE FROM application WHERE id=?", (app_id,)).rowcount > 0

    async def get_access_key(self, key_id: str) -> JSON | None:
        row = self.conn.execute("SELECT body FROM access_key WHERE id=?", (key_id,)).fetchone()
        return _load(row[0]) if row else None

    async def list_access_keys(self, app_id: str) -> list[JSON]:
        rows = self.conn.execute(
            "SELECT body FROM access_key WHERE app_id=? ORDER BY created_at, id", (app_id,)
        )
        return [_load(r[0]) for r in rows]

    async def put_access_key(self, key: JSON) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO access_key (id, app_id, created_at, body) VALUES (?,?,?,?)",
            (key["id"], key["applicationId"], key.get("createdAt", 0), orjson.dumps(key)),
        )

    async def delete_access_key(self, key_id: str) -> bool:
        return self.conn.execute("DELETE FROM access_key WHERE id=?", (key_id,)).rowcount > 0

    async def add_grants(self, grants: Sequence[Grant]) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO access_grant"
            " (subject_type, subject_id, target_type, target_id, access) VALUES (?,?,?,?,?)",
            [_row(g) for g in grants],
        )

    async def remove_grants(self, grants: Sequence[Grant]) -> None:
        self.conn.executemany(
            "DELETE FROM access_grant WHERE subject_type=? AND subject_id=?"
            " AND target_type=? AND target_id=? AND access=?",
            [_row(g) for g in grants],
        )

    async def grants_of_subject(self, subject_type: str, subject_id: str) -> list[Grant]:
        rows = self.conn.execute(
            "SELECT subject_type, subject_id, target_type, target_id, access FROM access_grant"
            " WHERE subject_type=? AND subject_id=? ORDER BY target_type, target_id, access",
            (subject_type, subject_id),
        )
        return [Grant(*r) for r in rows]

    async def grants_on_target(self, target_type: str, target_id: str) -> list[Grant]:
        rows = self.conn.execute(
            "SELECT subject_type, subject_id, target_type, target_id, access FROM access_grant"
            " WHERE target_type=? AND target_id=? ORDER BY subject_type, subject_id, access",
            (target_type, target_id),
        )
        return [Grant(*r) for r in rows]

    async def server_secret(self, name: str, candidate: bytes) -> bytes:
        # Insert-if-absent, then read: the first value stored wins, whoever asked first.
        self.conn.execute(
            "INSERT INTO server_secret (name, value) VALUES (?,?) ON CONFLICT (name) DO NOTHING",
            (name, candidate),
        )
        row = self.conn.execute("SELECT value FROM server_secret WHERE name=?", (name,)).fetchone()
        return bytes(row[0])
