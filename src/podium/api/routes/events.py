"""`/api/event`: event handler definitions (spec §1.5)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from podium.api.wire import json_body, json_response, qbool, services
from podium.model.events import EventHandler
from podium.model.validation import parse_model

__all__ = ["router"]

router = APIRouter(prefix="/api/event", tags=["event"])


async def _handler(request: Request) -> EventHandler:
    return parse_model(EventHandler, await json_body(request))


@router.post("", summary="Add a new event handler")
async def add_event_handler(request: Request) -> Response:
    await services(request).events.add(await _handler(request))
    return Response(status_code=200)


@router.put("", summary="Update an existing event handler")
async def update_event_handler(request: Request) -> Response:
    await services(request).events.update(await _handler(request))
    return Response(status_code=200)


@router.get("", summary="All event handlers")
async def list_event_handlers(request: Request) -> Response:
    return json_response(await services(request).events.list_all())


@router.get("/{event}", summary="Event handlers of one event (active ones unless activeOnly=false)")
async def event_handlers_for_event(event: str, request: Request) -> Response:
    active_only = qbool(request, "activeOnly", True)
    found = await services(request).events.list_for_event(event, active_only=active_only)
    return json_response(found)


@router.delete("/{name}", summary="Remove an event handler")
async def remove_event_handler(name: str, request: Request) -> Response:
    await services(request).events.remove(name)
    return Response(status_code=200)
