"""Health, version, metrics, admin and the offline Swagger UI."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from podium import __version__
from podium.api.wire import actor_of, json_response, qint, services, text_response
from podium.errors import NotFound, PodiumError

__all__ = ["router"]

router = APIRouter(tags=["system"])

_HEALTHY = {"healthResults": [], "suppressedHealthResults": [], "healthy": True}


async def _database_answers(request: Request) -> bool:
    try:
        await services(request).workflows.ping()
    except PodiumError:
        return False
    return True


@router.get("/health", summary="Health (Conductor shape): the database answers")
@router.get("/api/health", summary="Health (Conductor shape): the database answers")
async def health(request: Request) -> Response:
    if await _database_answers(request):
        return json_response(_HEALTHY)
    unhealthy = {
        **_HEALTHY,
        "healthy": False,
        "healthResults": [{"name": "database", "healthy": False}],
    }
    return json_response(unhealthy, status=503)


@router.get("/actuator/health", summary="Health (Spring shape): the database answers")
async def actuator_health(request: Request) -> Response:
    if await _database_answers(request):
        return json_response({"status": "UP"})
    return json_response({"status": "DOWN"}, status=503)


@router.get("/api/version", summary="Server version (text)")
async def version() -> Response:
    return text_response(__version__)


@router.get("/metrics", summary="Prometheus metrics")
@router.get("/actuator/prometheus", summary="Prometheus metrics")
async def metrics(request: Request) -> Response:
    observer = request.app.state.metrics
    observer.set_queue_depths(await services(request).task_admin.queue_depths())
    return Response(observer.render(), media_type="text/plain; version=0.0.4; charset=utf-8")


@router.get("/api/admin/config", summary="Server settings (secrets masked)")
async def admin_config(request: Request) -> Response:
    config = dict(request.app.state.settings.redacted())
    config["version"] = __version__
    return json_response(config)


@router.get("/api/admin/task/{tasktype}", summary="Live attempts of a task type")
async def admin_pending(tasktype: str, request: Request) -> Response:
    found = await services(request).task_admin.in_progress(
        tasktype, qint(request, "start", 0), qint(request, "count", 100)
    )
    return json_response([t.to_json() for t in found])


@router.post("/api/admin/sweep/requeue/{workflow_id}", summary="Decide an execution now")
async def admin_requeue(workflow_id: str, request: Request) -> Response:
    await services(request).operations.decide(workflow_id, actor=actor_of(request, "admin"))
    return text_response(f"true.{workflow_id}")


@router.post("/api/admin/consistency/verifyAndRepair/{workflow_id}", summary="Decide now")
async def admin_repair(workflow_id: str, request: Request) -> Response:
    await services(request).operations.decide(workflow_id, actor=actor_of(request, "admin"))
    return text_response("true")


@router.get("/api/admin/queues", summary="Event queues (none: events are not supported yet)")
async def admin_queues() -> Response:
    return json_response({})


@router.get("/api/environment", summary="CONDUCTOR_ENV_* variables (prefix stripped)")
async def environment(request: Request) -> Response:
    env = request.app.state.settings.conductor_env
    prefix = "CONDUCTOR_ENV_"
    return json_response([{"name": k.removeprefix(prefix), "value": v} for k, v in env.items()])


@router.get("/api/environment/{key}", summary="One CONDUCTOR_ENV_* variable (text)")
async def environment_key(key: str, request: Request) -> Response:
    value = request.app.state.settings.conductor_env.get(f"CONDUCTOR_ENV_{key}")
    if value is None:
        raise NotFound(f"No environment variable CONDUCTOR_ENV_{key}")
    return text_response(value)


@router.get("/swagger-ui/index.html", include_in_schema=False)
@router.get("/swagger-ui", include_in_schema=False)
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/api-docs",
        title="Podium API",
        swagger_js_url="/swagger-ui-static/swagger-ui-bundle.js",
        swagger_css_url="/swagger-ui-static/swagger-ui.css",
        swagger_favicon_url="/swagger-ui-static/favicon-32x32.png",
    )
