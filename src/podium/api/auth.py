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
from urllib.parse import quote

from starlette.requests import cookie_parser

from podium.api.errors import error_body
from podium.auth.principals import Principal, principal_of
from podium.auth.proxy import TrustedProxies, without_identity
from podium.auth.sessions import SESSION_COOKIES
from podium.errors import Forbidden, Unauthenticated
from podium.services.security import SecurityService

__all__ = ["AuthMiddleware", "principal_of"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The viewer's static files (the API description's routes are in the policy table).
_STATIC_PREFIX = "/swagger-ui-static/"
_UI_PREFIX = "/ui/"
_UI_LOGIN = "/ui/login"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
            if proxied is not None:
                principal = await self.security.identify(proxied)
            else:
                principal = await self._from_credentials(scope)
        except Unauthenticated as exc:
            if _is_page(scope):  # a person's browser: off to sign in, then back here
                await _to_sign_in(scope, send)
            else:
                await _refuse(send, exc)
            return
        except Forbidden as exc:
            await _refuse(send, exc, status=403)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    async def _from_credentials(self, scope: Scope) -> Principal:
        """A token if the request carries one, else the UI's session cookie."""
        token = _token(scope)
        if token is not None:
            return await self.security.authenticate(token)
        cookie = _session_cookie(scope)
        if cookie is not None:
            return await self._from_session(scope, cookie)
        raise Unauthenticated("A token is required: X-Authorization or Bearer")

    async def _from_session(self, scope: Scope, cookie: str) -> Principal:
        session = await self.security.session(cookie)
        scope.setdefault("state", {})["session"] = session
        # A cookie travels with requests other sites make the browser send: a state-changing
        # call must prove it comes from our own page. UI forms carry the token in a field
        # their route checks; scripts send it in a header, checked here.
        unsafe = scope["method"] not in _SAFE_METHODS
        if unsafe and not scope["path"].startswith(_UI_PREFIX):
            codec = await self.security.sessions()
            if not codec.csrf_ok(session.sid, _header(scope, b"x-csrf-token")):
                raise Forbidden("A request made with the session cookie needs X-CSRF-Token")
        return await self.security.identify(session.principal)

    def _open(self, scope: Scope) -> bool:
        path: str = scope["path"]
        return path in self.open_paths or path.startswith(_STATIC_PREFIX)


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


def _session_cookie(scope: Scope) -> str | None:
    raw = _header(scope, b"cookie")
    if raw is None:
        return None
    cookies = cookie_parser(raw)
    return next((cookies[n] for n in SESSION_COOKIES if cookies.get(n)), None)


def _is_page(scope: Scope) -> bool:
    """A browser asking for a UI page (rather than a program calling the API)."""
    path: str = scope["path"]
    return scope["method"] == "GET" and (path == "/" or path.startswith(_UI_PREFIX))


async def _to_sign_in(scope: Scope, send: Send) -> None:
    query = scope.get("query_string", b"").decode("latin-1")
    here = scope["path"] + (f"?{query}" if query else "")
    location = f"{_UI_LOGIN}?next={quote(here, safe='')}".encode("latin-1")
    headers = [(b"location", location), (b"content-length", b"0")]
    await send({"type": "http.response.start", "status": 303, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


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


async def _refuse(send: Send, exc: Unauthenticated | Forbidden, status: int = 401) -> None:
    extra = {"error": exc.code} if isinstance(exc, Unauthenticated) else {}
    body = error_body(status, exc.message, **extra)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer error="invalid_token"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
