"""The event handler table of the in-memory store (the twin of `store/sqlite/events.py`)."""

from __future__ import annotations

import orjson

from podium.store import JSON
from podium.store.memory_state import MemoryState

__all__ = ["MemoryEventHandlers"]


def _load(body: bytes) -> JSON:
    parsed: JSON = orjson.loads(body)
    return parsed


def _matches(handler: JSON, event: str | None, active_only: bool) -> bool:
    """The SQLite WHERE clause: the `event` and `active` columns come from the same JSON."""
    if event is not None and handler.get("event", "") != event:
        return False
    return bool(handler.get("active")) or not active_only


class MemoryEventHandlers:
    """Event handlers by name, kept serialised as the SQLite store keeps them."""

    state: MemoryState

    async def get_event_handler(self, name: str) -> JSON | None:
        body = self.state.event_handlers.get(name)
        return _load(body) if body is not None else None

    async def list_event_handlers(
        self, event: str | None = None, active_only: bool = False
    ) -> list[JSON]:
        handlers = (_load(body) for _, body in sorted(self.state.event_handlers.items()))
        return [h for h in handlers if _matches(h, event, active_only)]

    async def put_event_handler(self, handler: JSON) -> None:
        self.state.event_handlers.put(handler["name"], orjson.dumps(handler))

    async def delete_event_handler(self, name: str) -> bool:
        return self.state.event_handlers.pop(name) is not None
