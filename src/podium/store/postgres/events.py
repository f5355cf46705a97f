"""The event handler table of the PostgreSQL store."""

from __future__ import annotations

import orjson

from podium.store import JSON
from podium.store.postgres.base import PgBase, load_json

__all__ = ["EventHandlersMixin"]


class EventHandlersMixin(PgBase):
    """Event handlers by name, found by their exact event string through an index."""

    async def get_event_handler(self, name: str) -> JSON | None:
        row = await self._one("SELECT body FROM event_handler WHERE name=%s", (name,))
        return load_json(row[0]) if row else None

    async def list_event_handlers(
        self, event: str | None = None, active_only: bool = False
    ) -> list[JSON]:
        # NULL parameters switch a filter off, so one fixed statement serves every call.
        rows = await self._all(
            "SELECT body FROM event_handler"
            " WHERE (%s::text IS NULL OR event=%s::text) AND (NOT %s OR active)"
            " ORDER BY name",
            (event, event, active_only),
        )
        return [load_json(r[0]) for r in rows]

    async def put_event_handler(self, handler: JSON) -> None:
        await self._run(
            "INSERT INTO event_handler (name, event, active, body) VALUES (%s,%s,%s,%s)"
            " ON CONFLICT (name) DO UPDATE SET event=EXCLUDED.event, active=EXCLUDED.active,"
            " body=EXCLUDED.body",
            (
                handler["name"],
                handler.get("event", ""),
                bool(handler.get("active")),
                orjson.dumps(handler),
            ),
        )

    async def delete_event_handler(self, name: str) -> bool:
        return await self._count("DELETE FROM event_handler WHERE name=%s", (name,)) > 0
