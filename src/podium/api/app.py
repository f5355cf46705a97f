"""The FastAPI application: Conductor's REST API over Podium's services."""

from __future__ import annotations

import swagger_ui_bundle
from fastapi import Depends, FastAPI
from starlette.routing import Route
from starlette.staticfiles import StaticFiles

from podium import __version__
from podium.api.audit import AuditMiddleware
from podium.api.auth import AuthMiddleware
from podium.api.errors import install_error_handlers
from podium.api.limits import BodyLimit
from podium.api.policy import authorize, guarded, open_paths
from podium.api.routes import (
    applications,
    audit,
    auth,
    bulk,
    directory,
    events,
    metadata,
    queue,
    roles,
    system,
    tasks,
    workflows,
)
from podium.auth.oidc import OidcClient
from podium.auth.proxy import TrustedProxies
from podium.config import Settings
from podium.observability.metrics import PrometheusObserver
from podium.services import Services
from podium.ui import app as ui

__all__ = ["ROUTER_MODULES", "create_app", "hot_routes"]


def create_app(
    svc: Services,
    settings: Settings,
    metrics: PrometheusObserver,
    oidc: OidcClient | None = None,
) -> FastAPI:
    """Build the ASGI app; lifecycle (store, loops) belongs to the caller. `oidc`: the
    identity provider people sign in to the UI with (None: not configured)."""
    app = FastAPI(
        title="Podium",
        version=__version__,
        description="A durable workflow server that speaks the Conductor REST API.",
        openapi_url="/api-docs",
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = svc
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.oidc = oidc
    app.state.proxies = proxies = TrustedProxies(settings.trusted_proxy)
    install_error_handlers(app)
    for module in ROUTER_MODULES:
        app.include_router(module.router, dependencies=[Depends(authorize)])
    # The worker protocol is the hot path: serve it from plain Starlette routes placed first
    # (FastAPI's request machinery costs more than the work). The FastAPI routes of the same
    # paths stay for the OpenAPI document.
    app.router.routes[:0] = hot_routes()
    app.add_api_route("/v3/api-docs", app.openapi, include_in_schema=False)
    app.mount(
        "/swagger-ui-static",
        StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
        name="swagger-ui-static",
    )
    app.add_middleware(BodyLimit, max_bytes=settings.max_payload_bytes)
    if settings.auth:  # nothing below runs for a request without a principal
        app.add_middleware(
            AuthMiddleware,
            security=svc.security,
            open_paths=open_paths(open_monitoring=settings.open_monitoring),
            proxies=proxies,
        )
    # Outermost (added last): refused attempts are recorded too.
    app.add_middleware(AuditMiddleware, audit=svc.audit, proxies=proxies)
    return app


ROUTER_MODULES = (
    auth,
    audit,
    applications,
    directory,
    roles,
    bulk,
    workflows,
    metadata,
    tasks,
    queue,
    events,
    system,
    ui,
)
"""Every module's router, in matching order (bulk before workflows: `/api/workflow/bulk/x`
must not be read as a workflow id)."""


def hot_routes() -> list[Route]:
    """The worker protocol's plain Starlette routes, each behind the same access check."""
    return [
        Route(r.path, guarded(r.path, r.endpoint), methods=r.methods)
        for r in (*tasks.hot_routes(), *workflows.hot_routes())
    ]
