"""`/api/workflow`: start, read, search and operate executions."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.routing import Route

from podium.api.grants import narrowed_search, rights_for
from podium.api.wire import (
    actor_of,
    json_body,
    json_response,
    model_body,
    no_external_storage,
    opt_str,
    qbool,
    qint,
    services,
    text_response,
)
from podium.auth.policy import Permission
from podium.errors import BadRequest
from podium.model.requests import RerunWorkflowRequest, SkipTaskRequest, StartWorkflowRequest
from podium.model.testing import WorkflowTestRequest
from podium.model.validation import parse_model
from podium.services.summaries import workflow_summary
from podium.store import SearchRequest

__all__ = ["hot_routes", "readable_search", "router", "search_request"]

router = APIRouter(prefix="/api/workflow", tags=["workflow"])


def search_request(request: Request) -> SearchRequest:
    return SearchRequest(
        query=opt_str(request.query_params.get("query")),
        free_text=opt_str(request.query_params.get("freeText")),
        sort=opt_str(request.query_params.get("sort")),
        start=qint(request, "start", 0),
        size=qint(request, "size", 100),
    )


async def readable_search(request: Request) -> SearchRequest | None:
    """The request's search, limited to the workflow types the caller may read unless its
    roles may read every execution (None: it may read none)."""
    rights = await rights_for(request, Permission.EXECUTION_READ)
    return narrowed_search(search_request(request), rights)


@router.post("", summary="Start a workflow (returns its id as text)")
async def start(request: Request) -> Response:
    body = await model_body(request, StartWorkflowRequest)
    if not body.name and body.workflowDef is None:
        raise BadRequest("Workflow name cannot be null or empty")
    if not body.name and body.workflowDef is not None:
        body.name = body.workflowDef.name
    return text_response(await services(request).workflows.start(body, actor=actor_of(request)))


async def _search(request: Request, *, by_tasks: bool, full: bool) -> Response:
    """A page of executions: summaries, or full workflows without their tasks."""
    workflows = services(request).workflows
    find = workflows.search_by_tasks if by_tasks else workflows.search
    search = await readable_search(request)
    if search is None:
        return json_response({"totalHits": 0, "results": []})
    page = await find(search)
    if full:
        rows = [await workflows.to_json(wf, []) for wf in page.items]
    else:
        rows = [workflow_summary(wf) for wf in page.items]
    return json_response({"totalHits": page.total, "results": rows})


@router.get("/search", summary="Search executions (summaries)")
async def search(request: Request) -> Response:
    return await _search(request, by_tasks=False, full=False)


@router.get("/search-v2", summary="Search executions (full workflows, without tasks)")
async def search_v2(request: Request) -> Response:
    return await _search(request, by_tasks=False, full=True)


@router.get("/search-by-tasks", summary="Executions having a task that matches (summaries)")
async def search_by_tasks(request: Request) -> Response:
    return await _search(request, by_tasks=True, full=False)


@router.get("/search-by-tasks-v2", summary="Executions having a task that matches (workflows)")
async def search_by_tasks_v2(request: Request) -> Response:
    return await _search(request, by_tasks=True, full=True)


@router.get("/externalstoragelocation", summary="Not available: payloads stay in the database")
@router.get("/external-storage-location", include_in_schema=False)
async def external_storage_location() -> Response:
    return no_external_storage()


@router.post("/test", summary="Run a workflow with mocked task outputs")
async def test_workflow(request: Request) -> Response:
    body = await model_body(request, WorkflowTestRequest)
    if not body.name and body.workflowDef is not None:
        body.name = body.workflowDef.name
    if not body.name:
        raise BadRequest("Workflow name cannot be null or empty")
    return json_response(await services(request).tester.run(body))


@router.post("/execute/{name}/{version}", summary="Start and wait for the end (or a task)")
async def execute(name: str, version: int, request: Request) -> Response:
    data = await json_body(request, default={})
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON StartWorkflowRequest object")
    data = {**data, "name": name}
    if data.get("workflowDef") is None:
        data["version"] = version or None
    body = parse_model(StartWorkflowRequest, data)
    until = opt_str(request.query_params.get("waitUntilTaskRef"))
    wait_for = qint(request, "waitForSeconds", 10)
    wf, timed_out = await services(request).workflows.execute(
        body,
        wait_until=[r.strip() for r in (until or "").split(",") if r.strip()],
        wait_seconds=wait_for,
        actor=actor_of(request),
    )
    wf.update(
        requestId=opt_str(request.query_params.get("requestId")),
        responseType="TARGET_WORKFLOW",
        targetWorkflowId=wf["workflowId"],
        targetWorkflowStatus=wf["status"],
        signalTimeout=timed_out,
    )
    return json_response({k: v for k, v in wf.items() if v is not None})


@router.post("/{name}", summary="Start a workflow by name with the body as its input")
async def start_by_name(name: str, request: Request) -> Response:
    data = await json_body(request, default={})
    if not isinstance(data, dict):
        raise BadRequest("The workflow input must be a JSON object")
    payload = {
        "name": name,
        "version": qint(request, "version", 0) or None,
        "correlationId": opt_str(request.query_params.get("correlationId")),
        "priority": qint(request, "priority", 0),
        "input": data,
    }
    body = parse_model(StartWorkflowRequest, payload)
    return text_response(await services(request).workflows.start(body, actor=actor_of(request)))


@router.get("/running/{name}", summary="Ids of running executions")
async def running(name: str, request: Request) -> Response:
    ids = await services(request).workflows.running_ids(
        name,
        qint(request, "version", 1),
        qint(request, "startTime", 0),
        qint(request, "endTime", 0),
    )
    return json_response(ids)


@router.get("/{name}/correlated/{correlation_id}", summary="Executions by correlation id")
async def correlated(name: str, correlation_id: str, request: Request) -> Response:
    found = await services(request).workflows.by_correlation_id(
        name,
        [correlation_id],
        include_closed=qbool(request, "includeClosed", False),
        include_tasks=qbool(request, "includeTasks", False),
    )
    return json_response(found[correlation_id])


@router.post("/{name}/correlated", summary="Executions by several correlation ids")
async def correlated_many(name: str, request: Request) -> Response:
    ids = await json_body(request, default=[])
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadRequest("The body must be a JSON array of correlation ids")
    found = await services(request).workflows.by_correlation_id(
        name,
        ids,
        include_closed=qbool(request, "includeClosed", False),
        include_tasks=qbool(request, "includeTasks", False),
    )
    return json_response(found)


@router.get("/{workflow_id}", summary="One execution")
async def get(workflow_id: str, request: Request) -> Response:
    include = qbool(request, "includeTasks", True)
    return json_response(
        await services(request).workflows.get_json(workflow_id, include_tasks=include)
    )


@router.get("/{workflow_id}/status", summary="Status of one execution")
async def status(workflow_id: str, request: Request) -> Response:
    return json_response(
        await services(request).workflows.status(
            workflow_id,
            include_output=qbool(request, "includeOutput", False),
            include_variables=qbool(request, "includeVariables", False),
        )
    )


@router.get("/{workflow_id}/tasks", summary="Tasks of one execution, paged")
async def tasks(workflow_id: str, request: Request) -> Response:
    page = await services(request).workflows.task_page(
        workflow_id,
        start=qint(request, "start", 0),
        count=qint(request, "count", 15),
        statuses=request.query_params.getlist("status"),
    )
    return json_response({"totalHits": page.total, "results": [t.to_json() for t in page.items]})


@router.get("/{workflow_id}/history", summary="Audit trail: every recorded transition")
async def history(workflow_id: str, request: Request) -> Response:
    events = await services(request).workflows.history(workflow_id)
    return json_response([e.to_json() for e in events])


@router.put("/decide/{workflow_id}", summary="Run the decider now")
async def decide(workflow_id: str, request: Request) -> Response:
    await services(request).operations.decide(workflow_id, actor=actor_of(request))
    return Response(status_code=200)


@router.put("/{workflow_id}/pause", summary="Pause")
async def pause(workflow_id: str, request: Request) -> Response:
    await services(request).operations.pause(workflow_id, actor=actor_of(request))
    return Response(status_code=200)


@router.put("/{workflow_id}/resume", summary="Resume")
async def resume(workflow_id: str, request: Request) -> Response:
    await services(request).operations.resume(workflow_id, actor=actor_of(request))
    return Response(status_code=200)


@router.put("/{workflow_id}/skiptask/{ref}", summary="Skip a task not scheduled yet")
async def skip(workflow_id: str, ref: str, request: Request) -> Response:
    # The Python SDK puts a Python repr in a skipTaskRequest query parameter: ignored.
    body = await model_body(request, SkipTaskRequest, default={})
    await services(request).operations.skip(workflow_id, ref, body, actor=actor_of(request))
    return Response(status_code=200)


@router.post("/{workflow_id}/rerun", summary="Rerun (from a task)")
async def rerun(workflow_id: str, request: Request) -> Response:
    body = await model_body(request, RerunWorkflowRequest, default={})
    rerun = services(request).operations.rerun
    return text_response(await rerun(workflow_id, body, actor=actor_of(request)))


@router.post("/{workflow_id}/restart", status_code=204, summary="Restart from the beginning")
async def restart(workflow_id: str, request: Request) -> Response:
    latest = qbool(request, "useLatestDefinitions", False)
    await services(request).operations.restart(
        workflow_id, use_latest=latest, actor=actor_of(request)
    )
    return Response(status_code=204)


@router.post("/{workflow_id}/retry", status_code=204, summary="Retry the failed tasks")
async def retry(workflow_id: str, request: Request) -> Response:
    resume = qbool(request, "resumeSubworkflowTasks", False)
    await services(request).operations.retry(
        workflow_id, resume_subworkflows=resume, actor=actor_of(request)
    )
    return Response(status_code=204)


@router.post("/{workflow_id}/resetcallbacks", status_code=204, summary="Reset callback delays")
async def reset_callbacks(workflow_id: str, request: Request) -> Response:
    await services(request).operations.reset_callbacks(workflow_id, actor=actor_of(request))
    return Response(status_code=204)


@router.delete("/{workflow_id}", summary="Terminate")
async def terminate(workflow_id: str, request: Request) -> Response:
    await services(request).operations.terminate(
        workflow_id,
        opt_str(request.query_params.get("reason")),
        trigger_failure=qbool(request, "triggerFailureWorkflow", False),
        actor=actor_of(request),
    )
    return Response(status_code=200)


@router.delete("/{workflow_id}/remove", summary="Remove from the store")
async def remove(workflow_id: str, request: Request) -> Response:
    archive = qbool(request, "archiveWorkflow", True)
    await services(request).operations.remove(workflow_id, archive=archive, actor=actor_of(request))
    return Response(status_code=200)


@router.delete("/{workflow_id}/terminate-remove", summary="Terminate, then remove")
async def terminate_remove(workflow_id: str, request: Request) -> Response:
    await services(request).operations.terminate_remove(
        workflow_id,
        opt_str(request.query_params.get("reason")),
        archive=qbool(request, "archiveWorkflow", True),
        actor=actor_of(request),
    )
    return Response(status_code=200)


def hot_routes() -> list[Route]:
    """Starting a workflow as a plain Starlette route (see podium.api.app)."""
    return [Route("/api/workflow", start, methods=["POST"])]
