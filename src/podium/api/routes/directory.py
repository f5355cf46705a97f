"""Orkes' users and groups (`/api/users...`, `/api/groups...`), at the paths and with the
bodies conductor-python's AuthorizationClient uses."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from podium.api.auth import principal_of
from podium.api.wire import json_body, json_response, opt_str, qbool, services
from podium.services.directory import DirectoryService

__all__ = ["router"]

router = APIRouter(tags=["users and groups"])


def _directory(request: Request) -> DirectoryService:
    return services(request).directory


@router.get("/api/users", summary="Every user (`apps=true`: applications too)")
async def list_users(request: Request) -> Response:
    apps = qbool(request, "apps", False)
    return json_response(await _directory(request).list_users(apps=apps))


@router.get("/api/users/{user_id}", summary="One user")
async def get_user(user_id: str, request: Request) -> Response:
    return json_response(await _directory(request).get_user(user_id))


@router.put("/api/users/{user_id}", summary="Create or update a user (`{name, roles, groups}`)")
async def upsert_user(user_id: str, request: Request) -> Response:
    body = await json_body(request)
    by = principal_of(request.scope)
    return json_response(await _directory(request).upsert_user(user_id, body, by=by))


@router.delete(
    "/api/users/{user_id}", summary="Delete a user, its memberships and grants; end its sessions"
)
async def delete_user(user_id: str, request: Request) -> Response:
    await _directory(request).delete_user(user_id)
    return json_response({})


@router.get("/api/users/{user_id}/permissions", summary="What a user was granted")
async def user_permissions(user_id: str, request: Request) -> Response:
    return json_response(await _directory(request).user_permissions(user_id))


@router.get("/api/users/{user_id}/checkPermissions", summary="A user's access to one target")
async def check_permissions(user_id: str, request: Request) -> Response:
    params = request.query_params
    target_type, target_id = opt_str(params.get("type")) or "", opt_str(params.get("id")) or ""
    return json_response(
        await _directory(request).check_permissions(user_id, target_type, target_id)
    )


@router.get("/api/groups", summary="Every group")
async def list_groups(request: Request) -> Response:
    return json_response(await _directory(request).list_groups())


@router.get("/api/groups/{group_id}", summary="One group")
async def get_group(group_id: str, request: Request) -> Response:
    return json_response(await _directory(request).get_group(group_id))


@router.put(
    "/api/groups/{group_id}",
    summary="Create or update a group (`{description, roles, defaultAccess}`)",
)
async def upsert_group(group_id: str, request: Request) -> Response:
    body = await json_body(request)
    by = principal_of(request.scope)
    return json_response(await _directory(request).upsert_group(group_id, body, by=by))


@router.delete("/api/groups/{group_id}", summary="Delete a group, its memberships and grants")
async def delete_group(group_id: str, request: Request) -> Response:
    await _directory(request).delete_group(group_id)
    return json_response({})


@router.post("/api/groups/{group_id}/users/{user_id}", summary="Add a user to a group")
async def add_member(group_id: str, user_id: str, request: Request) -> Response:
    await _directory(request).change_members(group_id, [user_id], add=True)
    return json_response({})


@router.delete("/api/groups/{group_id}/users/{user_id}", summary="Remove a user from a group")
async def remove_member(group_id: str, user_id: str, request: Request) -> Response:
    await _directory(request).change_members(group_id, [user_id], add=False)
    return json_response({})


@router.get("/api/groups/{group_id}/users", summary="A group's members")
async def members(group_id: str, request: Request) -> Response:
    return json_response(await _directory(request).members(group_id))


@router.post("/api/groups/{group_id}/users", summary="Add users (a list of ids) to a group")
async def add_members(group_id: str, request: Request) -> Response:
    await _directory(request).change_members(group_id, await json_body(request), add=True)
    return json_response({})


@router.delete("/api/groups/{group_id}/users", summary="Remove users (a list of ids)")
async def remove_members(group_id: str, request: Request) -> Response:
    await _directory(request).change_members(group_id, await json_body(request), add=False)
    return json_response({})


@router.get("/api/groups/{group_id}/permissions", summary="What a group was granted")
async def group_permissions(group_id: str, request: Request) -> Response:
    return json_response(await _directory(request).group_permissions(group_id))
