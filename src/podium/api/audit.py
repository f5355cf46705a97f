"""Every request that may change state opens an audit record (see `podium.services.audit`).

Outside the authentication middleware, so that refused attempts are recorded too. Worker
calls (poll, update, ack, log) are not: the execution history records each of them already,
and they are the hot path. Token requests change nothing and are not recorded either.
"""

from __future__ import annotations

import logging

from podium.api.auth import ASGIApp, Message, Receive, Scope, Send, principal_of
from podium.api.policy import UNAUDITED
from podium.auth.proxy import TrustedProxies
from podium.services.audit import AuditService
from podium.services.request_audit import RequestAudit, current_audit

__all__ = ["AuditMiddleware"]

log = logging.getLogger("podium.api")

_CHANGING = frozenset({"POST", "PUT", "DELETE", "PATCH"})
# What a request acted on, named by its path parameters (the first one found).
_RESOURCE_OF = (
    ("workflow_id", "workflow:{}"),
    ("task_id", "task:{}"),
    ("tasktype", "TASK_DEF:{}"),
    ("name", "{}"),  # workflow definition, event handler or role: see _resource
    ("event", "EVENT:{}"),
)
_NAMED = (("/api/event", "EVENT_HANDLER"), ("/api/roles", "ROLE"))
"""What a `{name}` path parameter names, by path prefix (else a workflow definition)."""


class AuditMiddleware:
    def __init__(
        self, app: ASGIApp, audit: AuditService, proxies: TrustedProxies | None = None
    ) -> None:
        self.app = app
        self.audit = audit
        self.proxies = proxies or TrustedProxies(())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in _CHANGING
            or UNAUDITED.match(f"{scope['method']} {scope['path']}")
        ):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        request = RequestAudit(
            principal=lambda: _principal(scope),
            address=self.proxies.client_address(
                str(client[0]) if client else None, scope["headers"]
            ),
            method=scope["method"],
            path=scope["path"],
            described=lambda: _resource(scope),
        )
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        token = current_audit().set(request)
        try:
            await self.app(scope, receive, send_status)
        finally:
            current_audit().reset(token)
            if not request.recorded or status >= 400:
                await self._record(request, status)

    async def _record(self, request: RequestAudit, status: int) -> None:
        try:
            await self.audit.record_outcome(request, status)
        except Exception:  # the answer is sent: say so loudly, but do not fail the request
            log.exception(
                "audit record not written",
                extra={"action": "audit_write_failed", "path": request.path},
            )


def _principal(scope: Scope) -> str:
    principal = principal_of(scope)
    return principal.id if principal is not None else "anonymous"


def _resource(scope: Scope) -> str:
    params = scope.get("path_params") or {}
    path: str = scope["path"]
    for key, template in _RESOURCE_OF:
        value = params.get(key)
        if value:
            if key == "name":
                kind = next((k for prefix, k in _NAMED if path.startswith(prefix)), "WORKFLOW_DEF")
                return f"{kind}:{value}"
            return template.format(value)
    return ""
