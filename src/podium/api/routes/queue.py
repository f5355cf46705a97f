"""`/api/queue`: complete or fail tasks through the event-queue API (applied at once)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from podium.api.wire import json_body, json_response, operator_of, opt_str, services
from podium.errors import BadRequest, NotFound

__all__ = ["router"]

router = APIRouter(prefix="/api/queue", tags=["queue"])


async def _output(request: Request) -> dict[str, object]:
    data = await json_body(request, default={})
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object (the task output)")
    return data


@router.get("/size", summary="Sizes of the event-processor status queues")
async def sizes() -> Response:
    # Podium applies queue updates at once, so these queues are always empty.
    return json_response({"_callbackSuccessQueue": 0, "_callbackFailureQueue": 0})


@router.get("/", summary="The event-processor status queues")
async def queues() -> Response:
    return json_response({"COMPLETED": "conductor:COMPLETED", "FAILED": "conductor:FAILED"})


@router.post("/update/{workflow_id}/{ref}/{status}", summary="Complete or fail a task by reference")
async def update_by_ref(workflow_id: str, ref: str, status: str, request: Request) -> Response:
    admin = services(request).task_admin
    output = await _output(request)
    worker = opt_str(request.query_params.get("workerid"))
    actor = operator_of(request)
    if await admin.update_by_ref(workflow_id, ref, status, output, worker, actor=actor) is None:
        raise NotFound(f"No pending task {ref} in workflow {workflow_id}")
    return Response(status_code=200)


@router.post("/update/{workflow_id}/task/{task_id}/{status}", summary="Complete or fail a task")
async def update_by_id(workflow_id: str, task_id: str, status: str, request: Request) -> Response:
    output = await _output(request)
    admin = services(request).task_admin
    await admin.update_by_id(workflow_id, task_id, status, output, actor=operator_of(request))
    return Response(status_code=200)
