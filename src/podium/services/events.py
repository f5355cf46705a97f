"""Event handler definitions: add, update, read, remove (`/api/event`).

Running the handlers (subscribing to queues, evaluating conditions, applying actions) is not
done here; this service keeps the definitions that such a runner reads.
"""

from __future__ import annotations

from podium.errors import Conflict, NotFound
from podium.model.events import EventHandler
from podium.services.context import ServiceContext
from podium.services.unit import unit_of_work
from podium.store import JSON

__all__ = ["EventHandlerService"]


def _missing(name: str) -> NotFound:
    # Conductor's DAOs word it this way (e.g. postgres `PostgresMetadataDAO.updateEventHandler`).
    return NotFound(f"EventHandler with name {name} not found!")


class EventHandlerService:
    """Handlers are validated by the caller (the model); this stores and serves them by name."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def add(self, handler: EventHandler) -> None:
        """Register a new handler; Conflict when one with its name exists."""
        async with unit_of_work(self.ctx) as unit:
            if await unit.tx.get_event_handler(handler.name) is not None:
                raise Conflict(f"EventHandler with name {handler.name} already exists!")
            await unit.tx.put_event_handler(handler.to_json())

    async def update(self, handler: EventHandler) -> None:
        """Replace an existing handler; NotFound when there is none with its name."""
        async with unit_of_work(self.ctx) as unit:
            if await unit.tx.get_event_handler(handler.name) is None:
                raise _missing(handler.name)
            await unit.tx.put_event_handler(handler.to_json())

    async def get(self, name: str) -> JSON:
        """One handler by name; NotFound when there is none."""
        async with unit_of_work(self.ctx) as unit:
            found = await unit.tx.get_event_handler(name)
        if found is None:
            raise _missing(name)
        return found

    async def list_all(self) -> list[JSON]:
        """Every handler, ordered by name."""
        async with unit_of_work(self.ctx) as unit:
            return await unit.tx.list_event_handlers()

    async def list_for_event(self, event: str, *, active_only: bool = True) -> list[JSON]:
        """The handlers of exactly this event string (only active ones by default), by name."""
        async with unit_of_work(self.ctx) as unit:
            return await unit.tx.list_event_handlers(event, active_only)

    async def remove(self, name: str) -> None:
        """Delete a handler; NotFound when there is none with this name."""
        async with unit_of_work(self.ctx) as unit:
            if not await unit.tx.delete_event_handler(name):
                raise _missing(name)
