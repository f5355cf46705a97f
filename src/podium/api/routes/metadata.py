"""`/api/metadata`: workflow and task definitions."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from podium.api.grants import creator_of, rights_for
from podium.api.wire import json_body, json_response, qbool, qint, services
from podium.auth.policy import Permission
from podium.errors import BadRequest
from podium.model.definitions import TaskDef
from podium.model.validation import parse_model, parse_task_def, parse_workflow_def
from podium.services.metadata import check_scripts
from podium.store import JSON

__all__ = ["router"]

router = APIRouter(prefix="/api/metadata", tags=["metadata"])


async def _readable(request: Request, kind: str, defs: list[JSON]) -> list[JSON]:
    """The definitions the caller may read: all when its roles may, else those it holds READ
    on (directly or through a tag)."""
    rights = await rights_for(request, Permission.METADATA_READ)
    if rights is None:
        return defs
    return [d for d in defs if rights.may("READ", kind, str(d["name"]))]


async def _workflows(request: Request, *, latest_only: bool = False) -> list[JSON]:
    defs = await services(request).metadata.list_workflows(latest_only=latest_only)
    return await _readable(request, "WORKFLOW_DEF", defs)


def _list(data: object, what: str) -> list[object]:
    if not isinstance(data, list) or not data:
        raise BadRequest(f"A non-empty JSON array of {what} is required")
    return data


@router.post("/workflow", summary="Register a workflow definition")
async def register_workflow(request: Request) -> Response:
    definition = parse_workflow_def(await json_body(request))
    overwrite = qbool(request, "overwrite", False)
    await services(request).metadata.register_workflow(
        definition, overwrite=overwrite, creator=await creator_of(request)
    )
    return Response(status_code=200)


@router.post("/workflow/validate", summary="Validate a workflow definition")
async def validate_workflow(request: Request) -> Response:
    check_scripts(parse_workflow_def(await json_body(request)))
    return Response(status_code=200)


@router.put("/workflow", summary="Create or update workflow definitions")
async def upsert_workflows(request: Request) -> Response:
    items = _list(await json_body(request), "workflow definitions")
    defs = [parse_workflow_def(item, f"workflowDefs[{i}]") for i, item in enumerate(items)]
    creator = await creator_of(request)
    answer = await services(request).metadata.upsert_workflows(defs, creator=creator)
    return json_response(answer)


@router.get("/workflow", summary="All workflow definitions")
async def list_workflows(request: Request) -> Response:
    return json_response(await _workflows(request))


@router.get("/workflow/latest-versions", summary="Latest version of every workflow definition")
async def latest_versions(request: Request) -> Response:
    return json_response(await _workflows(request, latest_only=True))


@router.get("/workflow/names", summary="Workflow definition names")
async def names(request: Request) -> Response:
    defs = await _workflows(request, latest_only=True)
    return json_response([d["name"] for d in defs])


def _summary(d: dict[str, object]) -> dict[str, object]:
    keys = ("name", "version", "createTime", "updateTime")
    return {k: d[k] for k in keys if d.get(k) is not None}


@router.get("/workflow/names-and-versions", summary="Names with their versions")
async def names_and_versions(request: Request) -> Response:
    out: dict[str, list[dict[str, object]]] = {}
    for d in await _workflows(request):
        out.setdefault(str(d["name"]), []).append(_summary(d))
    return json_response(out)


@router.get("/workflow/{name}/versions", summary="Versions of one workflow definition")
async def versions(name: str, request: Request) -> Response:
    defs = await services(request).metadata.list_workflows()
    return json_response([_summary(d) for d in defs if d["name"] == name])


@router.get("/workflow/{name}", summary="One workflow definition (latest version by default)")
async def get_workflow(name: str, request: Request) -> Response:
    version = qint(request, "version", 0) or None
    return json_response(await services(request).metadata.get_workflow(name, version))


@router.delete("/workflow/{name}/{version}", summary="Delete one workflow definition version")
async def delete_workflow(name: str, version: int, request: Request) -> Response:
    await services(request).metadata.delete_workflow(name, version)
    return Response(status_code=200)


@router.post("/taskdefs", summary="Register (create or replace) task definitions")
async def register_tasks(request: Request) -> Response:
    items = _list(await json_body(request), "task definitions")
    defs = [parse_task_def(item, f"taskDefs[{i}]") for i, item in enumerate(items)]
    await services(request).metadata.register_tasks(defs, creator=await creator_of(request))
    return Response(status_code=200)


@router.put("/taskdefs", summary="Update an existing task definition")
async def update_task(request: Request) -> Response:
    td = parse_model(TaskDef, await json_body(request))
    await services(request).metadata.update_task(td)
    return Response(status_code=200)


@router.get("/taskdefs", summary="All task definitions")
async def list_tasks(request: Request) -> Response:
    defs = await services(request).metadata.list_tasks()
    return json_response(await _readable(request, "TASK_DEF", defs))


@router.get("/taskdefs/{tasktype}", summary="One task definition")
async def get_task(tasktype: str, request: Request) -> Response:
    return json_response(await services(request).metadata.get_task(tasktype))


@router.delete("/taskdefs/{tasktype}", summary="Delete a task definition")
async def delete_task(tasktype: str, request: Request) -> Response:
    await services(request).metadata.delete_task(tasktype)
    return Response(status_code=200)
