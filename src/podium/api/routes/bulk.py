"""`/api/workflow/bulk`: one operation over many executions, failures reported per id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from fastapi import APIRouter, Request, Response

from podium.api.grants import checked_each, rights_for
from podium.api.wire import actor_of, json_body, json_response, opt_str, qbool, services
from podium.auth.policy import Permission
from podium.errors import BadRequest

__all__ = ["router"]

router = APIRouter(prefix="/api/workflow/bulk", tags=["workflow bulk"])


async def _run(
    request: Request, action: Callable[[str], Awaitable[object]], *, read: bool = False
) -> Response:
    """Run `action` per id. A caller whose roles do not cover the operation needs EXECUTE (or
    READ, for `read`) on each execution's definition: ids it lacks it on fail one by one."""
    ids = await json_body(request, default=[])
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadRequest("The body must be a JSON array of workflow ids")
    permission = Permission.EXECUTION_READ if read else Permission.EXECUTION_OPERATE
    rights = await rights_for(request, permission)
    action = checked_each(request, rights, "READ" if read else "EXECUTE", action)
    return json_response(await services(request).operations.bulk(ids, action))


@router.put("/pause", summary="Pause many")
async def pause(request: Request) -> Response:
    return await _run(request, partial(services(request).operations.pause, actor=actor_of(request)))


@router.put("/resume", summary="Resume many")
async def resume(request: Request) -> Response:
    resume = services(request).operations.resume
    return await _run(request, partial(resume, actor=actor_of(request)))


@router.post("/restart", summary="Restart many")
async def restart(request: Request) -> Response:
    ops = services(request).operations
    latest = qbool(request, "useLatestDefinitions", False)
    actor = actor_of(request)

    async def one(workflow_id: str) -> None:
        await ops.restart(workflow_id, use_latest=latest, actor=actor)

    return await _run(request, one)


@router.post("/retry", summary="Retry many")
async def retry(request: Request) -> Response:
    return await _run(request, partial(services(request).operations.retry, actor=actor_of(request)))


@router.post("/terminate", summary="Terminate many")
async def terminate(request: Request) -> Response:
    ops = services(request).operations
    reason = opt_str(request.query_params.get("reason"))
    actor = actor_of(request)

    async def one(workflow_id: str) -> None:
        await ops.terminate(workflow_id, reason, actor=actor)

    return await _run(request, one)


@router.delete("/remove", summary="Remove many")
async def remove(request: Request) -> Response:
    ops = services(request).operations
    archive = qbool(request, "archiveWorkflow", True)
    actor = actor_of(request)

    async def one(workflow_id: str) -> None:
        await ops.remove(workflow_id, archive=archive, actor=actor)

    return await _run(request, one)


@router.delete("/terminate-remove", summary="Terminate and remove many")
async def terminate_remove(request: Request) -> Response:
    ops = services(request).operations
    archive = qbool(request, "archiveWorkflow", True)
    reason = opt_str(request.query_params.get("reason"))
    actor = actor_of(request)

    async def one(workflow_id: str) -> None:
        await ops.terminate_remove(workflow_id, reason, archive=archive, actor=actor)

    return await _run(request, one)


@router.post("/search", summary="Fetch many executions")
async def search(request: Request) -> Response:
    workflows = services(request).workflows
    include = qbool(request, "includeTasks", True)

    async def one(workflow_id: str) -> object:
        return await workflows.get_json(workflow_id, include_tasks=include)

    return await _run(request, one, read=True)
