"""`/api/tasks`: the worker protocol (poll, update, update-v2) and task administration."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request, Response
from starlette.routing import Route

from podium.api.policy import worker_task_types
from podium.api.routes.workflows import readable_search
from podium.api.wire import (
    json_body,
    json_response,
    no_external_storage,
    operator_of,
    opt_str,
    qint,
    services,
    text_response,
)
from podium.errors import BadRequest, NotFound
from podium.model.requests import TaskResult
from podium.model.validation import parse_model
from podium.services.summaries import task_summary

__all__ = ["hot_routes", "router"]

router = APIRouter(prefix="/api/tasks", tags=["tasks"])


def _task_response(payload: object) -> Response:
    return Response(orjson.dumps(payload), media_type="application/json")


@router.get("/poll/batch/{tasktype}", summary="Claim up to `count` tasks (long poll)")
async def batch_poll(tasktype: str, request: Request) -> Response:
    params = request.query_params
    tasks = await services(request).tasks.poll(
        tasktype,
        worker_id=opt_str(params.get("workerid")),
        domain=opt_str(params.get("domain")),
        count=qint(request, "count", 1),
        timeout_ms=qint(request, "timeout", 100),
    )
    return _task_response([t.to_json() for t in tasks])


@router.get("/poll/{tasktype}", summary="Claim one task (204 when there is none)")
async def poll(tasktype: str, request: Request) -> Response:
    params = request.query_params
    tasks = await services(request).tasks.poll(
        tasktype,
        worker_id=opt_str(params.get("workerid")),
        domain=opt_str(params.get("domain")),
        count=1,
        timeout_ms=100,
    )
    return _task_response(tasks[0].to_json()) if tasks else Response(status_code=204)


async def _result(request: Request) -> TaskResult:
    raw = await request.body()
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"Malformed JSON in the request body: {exc}") from exc
    return parse_model(TaskResult, data)


@router.post("", summary="Update a task (returns its id as text)")
async def update(request: Request) -> Response:
    result = await _result(request)
    only = await worker_task_types(request)
    task, _ = await services(request).tasks.update(result, only_types=only)
    return text_response(task.taskId)


@router.post("/update-v2", summary="Update a task, then claim the next one of its type")
async def update_v2(request: Request) -> Response:
    result = await _result(request)
    only = await worker_task_types(request)
    _, upcoming = await services(request).tasks.update(result, then_poll=True, only_types=only)
    return _task_response(upcoming.to_json()) if upcoming else Response(status_code=204)


@router.get("/queue/sizes", summary="Visible queue sizes per task type")
async def queue_sizes(request: Request) -> Response:
    admin = services(request).task_admin
    types = request.query_params.getlist("taskType")
    return json_response({t: await admin.queue_size(t) for t in types})


@router.get("/queue/size", summary="Visible size of one queue")
async def queue_size(request: Request) -> Response:
    params = request.query_params
    task_type = opt_str(params.get("taskType"))
    if task_type is None:
        raise BadRequest("taskType is required")
    size = await services(request).task_admin.queue_size(
        task_type,
        opt_str(params.get("domain")),
        opt_str(params.get("isolationGroupId")),
        opt_str(params.get("executionNamespace")),
    )
    return json_response(size)


@router.get("/queue/all", summary="Visible size of every queue")
async def queue_all(request: Request) -> Response:
    return json_response(await services(request).task_admin.queue_sizes())


@router.get("/queue/all/verbose", summary="Every queue with its size and unacked count")
async def queue_all_verbose(request: Request) -> Response:
    depths = await services(request).task_admin.queue_depths()
    return json_response({q: {"a": {"size": n, "uacked": u}} for q, (n, u) in depths.items()})


@router.get("/queue/polldata", summary="Last polls of a task type")
async def poll_data(request: Request) -> Response:
    task_type = opt_str(request.query_params.get("taskType"))
    if task_type is None:
        raise BadRequest("taskType is required")
    found = await services(request).task_admin.poll_data(task_type)
    return json_response([p.to_json() for p in found])


@router.get("/queue/polldata/all", summary="Last polls of every task type")
async def poll_data_all(request: Request) -> Response:
    found = await services(request).task_admin.poll_data(None)
    return json_response([p.to_json() for p in found])


@router.post("/queue/requeue/{tasktype}", summary="Re-queue scheduled tasks that lost their entry")
async def requeue(tasktype: str, request: Request) -> Response:
    return text_response(str(await services(request).task_admin.requeue(tasktype)))


@router.delete("/queue/{tasktype}/{task_id}", summary="Remove a task from its queue")
async def unqueue(tasktype: str, task_id: str, request: Request) -> Response:
    await services(request).task_admin.remove_from_queue(task_id)
    return Response(status_code=200)


async def _search(request: Request, *, full: bool) -> Response:
    search = await readable_search(request)
    if search is None:
        return json_response({"totalHits": 0, "results": []})
    page = await services(request).task_admin.search(search)
    rows = [t.to_json() if full else task_summary(t) for t in page.items]
    return json_response({"totalHits": page.total, "results": rows})


@router.get("/search", summary="Search task attempts (summaries)")
async def search(request: Request) -> Response:
    return await _search(request, full=False)


@router.get("/search-v2", summary="Search task attempts (full tasks)")
async def search_v2(request: Request) -> Response:
    return await _search(request, full=True)


@router.get("/externalstoragelocation", summary="Not available: payloads stay in the database")
@router.get("/external-storage-location", include_in_schema=False)
async def external_storage_location() -> Response:
    return no_external_storage()


@router.get("/in_progress/{workflow_id}/{ref}", summary="The live task with this reference")
async def in_progress_by_ref(workflow_id: str, ref: str, request: Request) -> Response:
    found = await services(request).task_admin.live_by_ref(workflow_id, ref)
    return json_response(found.to_json()) if found else Response(status_code=204)


@router.get("/in_progress/{tasktype}", summary="Live attempts of a task type")
async def in_progress(tasktype: str, request: Request) -> Response:
    found = await services(request).task_admin.in_progress(
        tasktype, qint(request, "start", 0), qint(request, "count", 100)
    )
    return json_response([t.to_json() for t in found])


@router.post("/{task_id}/ack", summary="Legacy ack (polls acknowledge by themselves)")
async def ack(task_id: str) -> Response:
    return text_response("true")


@router.post("/{task_id}/log", summary="Append a line to a task's log (raw text body)")
async def add_log(task_id: str, request: Request) -> Response:
    raw = (await request.body()).decode("utf-8", errors="replace")
    await services(request).task_admin.add_log(task_id, raw)
    return Response(status_code=200)


@router.get("/{task_id}/log", summary="A task's log (204 when empty)")
async def logs(task_id: str, request: Request) -> Response:
    found = await services(request).task_admin.logs(task_id)
    if not found:
        return Response(status_code=204)
    return json_response(
        [{"log": line, "taskId": task_id, "createdTime": at} for line, at in found]
    )


@router.get("/{task_id}", summary="One task attempt")
async def get_task(task_id: str, request: Request) -> Response:
    return json_response((await services(request).task_admin.get(task_id)).to_json())


@router.post("/{workflow_id}/{status}/signal", summary="Complete the waiting WAIT task")
async def signal(workflow_id: str, status: str, request: Request) -> Response:
    output = await json_body(request, default={})
    found = await services(request).task_admin.signal(
        workflow_id,
        status,
        output if isinstance(output, dict) else {"result": output},
        actor=operator_of(request),
    )
    if found is None:
        raise NotFound(f"No WAIT task is waiting in workflow {workflow_id}")
    return Response(status_code=200)


@router.post("/{workflow_id}/{status}/signal/sync", summary="Signal, then return the workflow")
async def signal_sync(workflow_id: str, status: str, request: Request) -> Response:
    output = await json_body(request, default={})
    svc = services(request)
    found = await svc.task_admin.signal(
        workflow_id,
        status,
        output if isinstance(output, dict) else {"result": output},
        actor=operator_of(request),
    )
    if found is None:
        raise NotFound(f"No WAIT task is waiting in workflow {workflow_id}")
    wf = await svc.workflows.get_json(found.workflowInstanceId)
    wf.update(
        responseType="TARGET_WORKFLOW",
        targetWorkflowId=wf["workflowId"],
        targetWorkflowStatus=wf["status"],
    )
    return json_response(wf)


async def _by_ref(request: Request, workflow_id: str, ref: str, status: str) -> str | None:
    data = await json_body(request, default={})
    if not isinstance(data, dict):
        data = {"result": data}
    return await services(request).task_admin.update_by_ref(
        workflow_id,
        ref,
        status,
        data,
        opt_str(request.query_params.get("workerid")),
        actor=operator_of(request),
    )


@router.post("/{workflow_id}/{ref}/{status}", summary="Update the live task with this reference")
async def update_by_ref(workflow_id: str, ref: str, status: str, request: Request) -> Response:
    return text_response(await _by_ref(request, workflow_id, ref, status) or "")


@router.post(
    "/{workflow_id}/{ref}/{status}/sync", summary="Update by reference, return the workflow"
)
async def update_by_ref_sync(workflow_id: str, ref: str, status: str, request: Request) -> Response:
    if await _by_ref(request, workflow_id, ref, status) is None:
        raise NotFound(f"No pending task {ref} in workflow {workflow_id}")
    return json_response(await services(request).workflows.get_json(workflow_id))


def hot_routes() -> list[Route]:
    """Batch poll, update and update-v2 as plain Starlette routes (see podium.api.app)."""

    async def batch_poll_hot(request: Request) -> Response:
        return await batch_poll(request.path_params["tasktype"], request)

    return [
        Route("/api/tasks/poll/batch/{tasktype}", batch_poll_hot, methods=["GET"]),
        Route("/api/tasks", update, methods=["POST"]),
        Route("/api/tasks/update-v2", update_v2, methods=["POST"]),
    ]
