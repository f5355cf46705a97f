"""Orkes' roles (`/api/roles...`), at the paths conductor-python's AuthorizationClient uses:
the system roles and their permissions; custom roles are refused (400) and nothing changes."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from podium.api.wire import json_body, json_response
from podium.services import roles

__all__ = ["router"]

router = APIRouter(tags=["roles"])


@router.get("/api/roles", summary="Every role (Podium's system roles)")
async def list_roles() -> Response:
    return json_response(roles.list_roles())


@router.get("/api/roles/system", summary="The system roles by name")
async def system_roles() -> Response:
    return json_response(roles.system_roles())


@router.get("/api/roles/custom", summary="Custom roles: none, Podium has none yet")
async def custom_roles() -> Response:
    return json_response([])


@router.get("/api/roles/permissions", summary="The permissions a role may hold, described")
async def available_permissions() -> Response:
    return json_response(roles.available_permissions())


@router.get("/api/roles/{name}", summary="One role and its permissions")
async def get_role(name: str) -> Response:
    return json_response(roles.get_role(name))


@router.post("/api/roles", summary="Create a custom role: refused (400), not supported")
async def create_role(request: Request) -> Response:
    roles.create_role(await json_body(request))


@router.put("/api/roles/{name}", summary="Change a role: refused (400), not supported")
async def update_role(name: str) -> Response:
    roles.update_role(name)


@router.delete("/api/roles/{name}", summary="Delete a role: refused (400), not supported")
async def delete_role(name: str) -> Response:
    roles.delete_role(name)
