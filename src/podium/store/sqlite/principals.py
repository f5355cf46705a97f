"""Applications, access keys and server secrets of the SQLite store
(`migrations/sqlite/0004_principals.sql`)."""

from __future__ import annotations

import sqlite3

import orjson

from podium.store import JSON

__all__ = ["PrincipalsMixin"]


def _load(body: bytes) -> JSON:
    parsed: JSON = orjson.loads(body)
    return parsed


class PrincipalsMixin:
    """Applications by id; their access keys found through an index on the application."""

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

    async def server_secret(self, name: str, candidate: bytes) -> bytes:
        # Insert-if-absent, then read: the first value stored wins, whoever asked first.
        self.conn.execute(
            "INSERT INTO server_secret (name, value) VALUES (?,?) ON CONFLICT (name) DO NOTHING",
            (name, candidate),
        )
        row = self.conn.execute("SELECT value FROM server_secret WHERE name=?", (name,)).fetchone()
        return bytes(row[0])
