"""Authentication of every request: the ASGI middleware in front of all routes.

With authentication on, a request carries a token in `X-Authorization` (as the Conductor SDKs
send it) or `Authorization: Bearer`; without a valid one it gets 401 and Conductor's error JSON
with `"error": "INVALID_TOKEN"` or `"EXPIRED_TOKEN"`, on which the SDKs fetch a new token and
retry. Which paths need none comes from `podium.api.policy`; what a principal may do once
known is checked there too, per route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from podium.api.errors import error_body
from podium.auth.principals import Principal
from podium.auth.proxy import TrustedProxies, without_identity
from podium.errors import Unauthenticated
from podium.services.security import SecurityService

__all__ = ["AuthMiddleware", "principal_of"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The viewer's static files (the API description's routes are in the policy table).
_STATIC_PREFIX = "/swagger-ui-static/"


def principal_of(scope: Scope) -> Principal | None:
    """Who the request acts as (None when authentication is off)."""
    principal = scope.get("state", {}).get("principal")
    return principal if isinstance(principal, Principal) else None


class AuthMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        security: SecurityService,
        *,
        open_paths: frozenset[str],
        proxies: TrustedProxies | None = None,
    ) -> None:
        self.app = app
        self.security = security
        self.open_paths = open_paths
        self.proxies = proxies or TrustedProxies(())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        proxied = None
        if self.proxies.trusts(str(client[0]) if client else None):
            proxied = self.proxies.principal(scope["headers"])
        else:
            scope["headers"] = without_identity(scope["headers"])
        if proxied is None and self._open(scope):
            await self.app(scope, receive, send)
            return
        try:
            principal = proxied or await self._from_token(scope)
        except Unauthenticated as exc:
            await _refuse(send, exc)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    async def _from_token(self, scope: Scope) -> Principal:
        token = _token(scope)
        if token is None:
            raise Unauthenticated("A token is required: X-Authorization or Bearer")
        return await self.security.authenticate(token)

    def _open(self, scope: Scope) -> bool:
        path: str = scope["path"]
        return path in self.open_paths or path.startswith(_STATIC_PREFIX)


def _token(scope: Scope) -> str | None:
    bearer = None
    for name, value in scope["headers"]:
        if name == b"x-authorization":
            return value.decode("latin-1").strip() or None
        if name == b"authorization":
            scheme, _, rest = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and rest.strip():
                bearer = rest.strip()
    return bearer


async def _refuse(send: Send, exc: Unauthenticated) -> None:
    body = error_body(401, exc.message, error=exc.code)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"www-authenticate", b'Bearer error="invalid_token"'),
    ]
    await send({"type": "http.response.start", "status": 401, "headers": headers})
    await send({"type": "http.response.body", "body": body})
