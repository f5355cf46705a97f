"""`GET /api/audit`: the audit log, newest first, for admins."""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter, Request, Response

from podium.api.wire import json_response, opt_str, qint, services
from podium.errors import BadRequest
from podium.store import AuditQuery

__all__ = ["router"]

router = APIRouter(tags=["audit"])

_MAX_PAGE = 1000


@router.get("/api/audit", summary="The audit log: who changed what, when, from where")
async def audit_log(request: Request) -> Response:
    params = request.query_params
    size = qint(request, "size", 100)
    if not 0 <= size <= _MAX_PAGE:
        raise BadRequest(f"size must be between 0 and {_MAX_PAGE}")
    start = qint(request, "start", 0)
    if start < 0:
        raise BadRequest("start must not be negative")
    query = AuditQuery(
        since=qint(request, "since", 0),
        until=qint(request, "until", 0),
        principal=opt_str(params.get("principal")),
        resource=opt_str(params.get("resource")),
        start=start,
        size=size,
    )
    page = await services(request).audit.records(query)
    return json_response(
        {"totalHits": page.total, "results": [dataclasses.asdict(r) for r in page.items]}
    )
