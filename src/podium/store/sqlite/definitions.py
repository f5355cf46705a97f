"""Definition tables of the SQLite store."""

from __future__ import annotations

import sqlite3

import orjson

from podium.store import JSON

__all__ = ["DefinitionsMixin"]


def _load(body: bytes) -> JSON:
    parsed: JSON = orjson.loads(body)
    return parsed


class DefinitionsMixin:
    """Workflow and task definitions, and the per-execution definition snapshots."""

    conn: sqlite3.Connection

    async def get_workflow_def(self, name: str, version: int | None) -> JSON | None:
        if version is None:
            row = self.conn.execute(
                "SELECT body FROM workflow_def WHERE name=? ORDER BY version DESC LIMIT 1",
                (name,),
            ).fetchone()
        else:
            row = self.conn.execute(
                "SELECT body FROM workflow_def WHERE name=? AND version=?", (name, version)
            ).fetchone()
        return _load(row[0]) if row else None

    async def list_workflow_defs(self, *, latest_only: bool = False) -> list[JSON]:
        if latest_only:
            rows = self.conn.execute(
                "SELECT body FROM workflow_def d WHERE version ="
                " (SELECT max(version) FROM workflow_def WHERE name=d.name) ORDER BY name"
            )
        else:
            rows = self.conn.execute("SELECT body FROM workflow_def ORDER BY name, version")
        return [_load(r[0]) for r in rows]

    async def put_workflow_def(self, definition: JSON) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO workflow_def (name, version, body) VALUES (?,?,?)",
            (definition["name"], definition.get("version", 1), orjson.dumps(definition)),
        )

    async def delete_workflow_def(self, name: str, version: int) -> bool:
        cur = self.conn.execute(
            "DELETE FROM workflow_def WHERE name=? AND version=?", (name, version)
        )
        return cur.rowcount > 0

    async def get_task_def(self, name: str) -> JSON | None:
        row = self.conn.execute("SELECT body FROM task_def WHERE name=?", (name,)).fetchone()
        return _load(row[0]) if row else None

    async def list_task_defs(self) -> list[JSON]:
        return [_load(r[0]) for r in self.conn.execute("SELECT body FROM task_def ORDER BY name")]

    async def put_task_def(self, definition: JSON) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO task_def (name, body) VALUES (?,?)",
            (definition["name"], orjson.dumps(definition)),
        )

    async def delete_task_def(self, name: str) -> bool:
        return self.conn.execute("DELETE FROM task_def WHERE name=?", (name,)).rowcount > 0

    async def put_snapshot(self, digest: str, body: bytes) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO def_snapshot (digest, body) VALUES (?,?)", (digest, body)
        )

    async def get_snapshot(self, digest: str) -> bytes | None:
        row = self.conn.execute(
            "SELECT body FROM def_snapshot WHERE digest=?", (digest,)
        ).fetchone()
        return bytes(row[0]) if row else None
