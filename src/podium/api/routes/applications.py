"""Orkes' applications (`/api/applications...`): machine clients, their access keys, roles and
tags, at the paths and with the bodies conductor-python's AuthorizationClient uses."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from podium.api.auth import principal_of
from podium.api.wire import json_body, json_response, services
from podium.errors import BadRequest
from podium.services.applications import ApplicationService

__all__ = ["router"]

router = APIRouter(tags=["applications"])


def _apps(request: Request) -> ApplicationService:
    return services(request).applications


async def _name(request: Request) -> object:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise BadRequest('The body must be {"name"}')
    return body.get("name")


@router.get("/api/applications", summary="Every application")
async def list_applications(request: Request) -> Response:
    return json_response(await _apps(request).list_applications())


@router.post("/api/applications", summary="Create an application (`{name}`)")
async def create_application(request: Request) -> Response:
    by = principal_of(request.scope)
    actor = by.id if by else "anonymous"
    created = await _apps(request).create_application(await _name(request), actor=actor, by=by)
    return json_response(created)


# Before `/api/applications/{app_id}/...`: a key's path has the same shape as a tags path.
@router.get("/api/applications/key/{key_id}", summary="The application owning an access key")
async def application_of_key(key_id: str, request: Request) -> Response:
    return json_response(await _apps(request).application_of_key(key_id))


@router.get("/api/applications/{app_id}", summary="One application")
async def get_application(app_id: str, request: Request) -> Response:
    return json_response(await _apps(request).get_application(app_id))


@router.put("/api/applications/{app_id}", summary="Rename an application (`{name}`)")
async def update_application(app_id: str, request: Request) -> Response:
    name = await _name(request)
    return json_response(await _apps(request).rename(app_id, name, by=principal_of(request.scope)))


@router.delete("/api/applications/{app_id}", summary="Delete an application, keys and grants")
async def delete_application(app_id: str, request: Request) -> Response:
    await _apps(request).delete_application(app_id, by=principal_of(request.scope))
    return json_response({})


@router.post(
    "/api/applications/{app_id}/accessKeys",
    summary="A new access key: the only answer that shows its secret",
)
async def create_access_key(app_id: str, request: Request) -> Response:
    by = principal_of(request.scope)
    return json_response(await _apps(request).create_access_key(app_id, by=by))


@router.get("/api/applications/{app_id}/accessKeys", summary="An application's access keys")
async def access_keys(app_id: str, request: Request) -> Response:
    return json_response(await _apps(request).access_keys(app_id))


@router.delete("/api/applications/{app_id}/accessKeys/{key_id}", summary="Delete an access key")
async def delete_access_key(app_id: str, key_id: str, request: Request) -> Response:
    await _apps(request).delete_access_key(app_id, key_id, by=principal_of(request.scope))
    return json_response({})


@router.post(
    "/api/applications/{app_id}/accessKeys/{key_id}/status",
    summary="Toggle an access key between ACTIVE and INACTIVE",
)
async def toggle_access_key(app_id: str, key_id: str, request: Request) -> Response:
    by = principal_of(request.scope)
    return json_response(await _apps(request).toggle_access_key(app_id, key_id, by=by))


@router.post("/api/applications/{app_id}/roles/{role}", summary="Give an application a role")
async def add_role(app_id: str, role: str, request: Request) -> Response:
    by = principal_of(request.scope)
    return json_response(await _apps(request).change_role(app_id, role, add=True, by=by))


@router.delete("/api/applications/{app_id}/roles/{role}", summary="Take a role away")
async def remove_role(app_id: str, role: str, request: Request) -> Response:
    by = principal_of(request.scope)
    return json_response(await _apps(request).change_role(app_id, role, add=False, by=by))


@router.get("/api/applications/{app_id}/tags", summary="An application's tags")
async def get_tags(app_id: str, request: Request) -> Response:
    return json_response(await _apps(request).tags(app_id))


@router.put("/api/applications/{app_id}/tags", summary="Tag an application")
async def put_tags(app_id: str, request: Request) -> Response:
    body = await json_body(request)
    await _apps(request).change_tags(app_id, body, add=True, by=principal_of(request.scope))
    return json_response({})


@router.delete("/api/applications/{app_id}/tags", summary="Remove tags of an application")
async def delete_tags(app_id: str, request: Request) -> Response:
    body = await json_body(request)
    await _apps(request).change_tags(app_id, body, add=False, by=principal_of(request.scope))
    return json_response({})
