"""The event handler table of the SQLite store (`migrations/sqlite/0002_event_handlers.sql`)."""

from __future__ import annotations

import sqlite3

import orjson

from podium.store import JSON

__all__ = ["EventHandlersMixin"]


def _load(body: bytes) -> JSON:
    parsed: JSON = orjson.loads(body)
    return parsed


class EventHandlersMixin:
    """Event handlers by name, found by their exact event string through an index."""

    conn: sqlite3.Connection

    async def get_event_handler(self, name: str) -> JSON | None:
        row = self.conn.execute("SELECT body FROM event_handler WHERE name=?", (name,)).fetchone()
        return _load(row[0]) if row else None

    async def list_event_handlers(
        self, event: str | None = None, active_only: bool = False
    ) -> list[JSON]:
        where: list[str] = []
        params: list[str] = []
        if event is not None:
            where.append("event=?")
            params.append(event)
        if active_only:
            where.append("active=1")
        sql = "SELECT body FROM event_handler"
        if where:
            sql += " WHERE " + " AND ".join(where)  # fixed fragments only; values are bound
        rows = self.conn.execute(sql + " ORDER BY name", params)
        return [_load(r[0]) for r in rows]

    async def put_event_handler(self, handler: JSON) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO event_handler (name, event, active, body) VALUES (?,?,?,?)",
            (
                handler["name"],
                handler.get("event", ""),
                int(bool(handler.get("active"))),
                orjson.dumps(handler),
            ),
        )

    async def delete_event_handler(self, name: str) -> bool:
        return self.conn.execute("DELETE FROM event_handler WHERE name=?", (name,)).rowcount > 0
