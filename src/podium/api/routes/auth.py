"""Orkes' token endpoints (`POST /api/token`, `GET /api/token/userInfo`), grants
(`/api/auth/authorization`), and people's UI sessions (`/api/auth/sessions`, Podium's own)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from podium.api.auth import principal_of
from podium.api.wire import json_body, json_response, opt_str, services
from podium.errors import BadRequest, NotFound

__all__ = ["router"]

router = APIRouter(tags=["token"])


def _auth_on(request: Request) -> None:
    # Off, the endpoint does not exist: an SDK configured with keys then runs in open mode.
    if not request.app.state.settings.auth:
        raise NotFound("Authentication is off on this server")


@router.post("/api/token", summary="Trade an access key id and secret for a token")
async def token(request: Request) -> Response:
    _auth_on(request)
    body = await json_body(request, default={})
    key_id = body.get("keyId") if isinstance(body, dict) else None
    secret = body.get("keySecret") if isinstance(body, dict) else None
    if not isinstance(key_id, str) or not isinstance(secret, str) or not key_id or not secret:
        raise BadRequest("keyId and keySecret are required")
    peer = request.client.host if request.client else None
    client = request.app.state.proxies.client_address(peer, request.scope["headers"])
    issued = await services(request).security.issue_token(key_id, secret, client)
    return json_response({"token": issued})


@router.get("/api/token/userInfo", summary="Who the token speaks for")
async def user_info(request: Request) -> Response:
    _auth_on(request)
    principal = principal_of(request.scope)
    if principal is None:  # unreachable: the middleware let no request without one through
        raise NotFound("No principal")
    return json_response(
        {
            "id": principal.id,
            "name": principal.name,
            "roles": [{"name": role} for role in sorted(principal.roles)],
            "groups": [{"id": group} for group in sorted(principal.groups)],
            "applicationUser": principal.application,
        }
    )


@router.post("/api/auth/authorization", summary="Grant access on a target to a subject")
async def grant(request: Request) -> Response:
    _auth_on(request)
    await services(request).security.change_grants(await json_body(request), grant=True)
    return json_response({"message": "Granted permission"})


@router.delete("/api/auth/authorization", summary="Remove access on a target from a subject")
async def revoke(request: Request) -> Response:
    _auth_on(request)
    await services(request).security.change_grants(await json_body(request), grant=False)
    return json_response({"message": "Removed permission"})


@router.get("/api/auth/authorization/{target_type}/{target_id}", summary="Grants on a target")
async def grants_on(target_type: str, target_id: str, request: Request) -> Response:
    _auth_on(request)
    return json_response(await services(request).security.grants_on(target_type, target_id))


@router.get("/api/auth/sessions", summary="Open UI sessions (`principal`: of one person)")
async def open_sessions(request: Request) -> Response:
    _auth_on(request)
    principal = opt_str(request.query_params.get("principal"))
    ui_sessions = services(request).security.ui_sessions
    return json_response(await ui_sessions.list_open(principal))


@router.delete("/api/auth/sessions", summary="End every UI session of a person (`principal`)")
async def end_sessions_of(request: Request) -> Response:
    _auth_on(request)
    principal = opt_str(request.query_params.get("principal"))
    if not principal:
        raise BadRequest("principal is required: whose sessions to end")
    ended = await services(request).security.ui_sessions.end_of(principal)
    return json_response({"ended": ended})


@router.delete("/api/auth/sessions/{session_id}", summary="End one UI session")
async def end_session(session_id: str, request: Request) -> Response:
    _auth_on(request)
    await services(request).security.ui_sessions.end_by_id(session_id)
    return json_response({"ended": 1})
