"""The UI's pages and its sign-in: OpenID Connect (authorization code + PKCE) against the
configured issuer, then a signed session cookie (HttpOnly, SameSite=Lax, Secure and `__Host-`
over https), and a CSRF token in every state-changing form.

Which page needs what is the API's policy table, checked on every route like the API's; a
browser without a session is sent to sign in (the authentication middleware does that).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from podium.auth.oidc import OidcClient, SignInFailed
from podium.auth.principals import principal_of
from podium.auth.sessions import (
    CSRF_FIELD,
    LOGIN_COOKIE,
    LOGIN_TTL_S,
    SESSION_COOKIES,
    Session,
    session_cookie_name,
)
from podium.auth.tokens import TokenInvalid
from podium.errors import Unauthenticated
from podium.services import Services

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

HOME = "/ui/"
CALLBACK = "/ui/auth/callback"
_LOGIN_COOKIE_PATH = "/ui/auth"


@router.get("/", summary="The UI")
async def root() -> Response:
    return RedirectResponse(HOME, status_code=307)


@router.get(HOME, summary="The UI's home page")
async def home(request: Request) -> Response:
    session = request.scope.get("state", {}).get("session")
    csrf = None
    if isinstance(session, Session):
        csrf = (await _services(request).security.sessions()).csrf_token(session.sid)
    return _page(
        request,
        "home.html",
        principal=principal_of(request.scope),
        auth=request.app.state.settings.auth,
        csrf=csrf,
        csrf_field=CSRF_FIELD,
    )


@router.get("/ui/login", summary="Sign in with the identity provider")
async def login(request: Request) -> Response:
    oidc = _oidc(request)
    if oidc is None:
        return _message(request, 404, "Sign-in is not configured", _NOT_CONFIGURED)
    next_path = _local_path(request.query_params.get("next"))
    try:
        url, state = await oidc.begin(_public(request, CALLBACK), next_path)
    except SignInFailed as exc:
        return _message(request, 502, "Sign-in is unavailable", str(exc))
    codec = await _services(request).security.sessions()
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        LOGIN_COOKIE,
        codec.login_cookie(state, _now_s(request)),
        max_age=LOGIN_TTL_S,
        path=_LOGIN_COOKIE_PATH,
        secure=_secure(request),
        httponly=True,
        samesite="lax",  # it must come back on the identity provider's redirect
    )
    return response


@router.get(CALLBACK, summary="Where the identity provider sends the browser back")
async def callback(request: Request) -> Response:
    oidc = _oidc(request)
    if oidc is None:
        return _message(request, 404, "Sign-in is not configured", _NOT_CONFIGURED)
    if "error" in request.query_params:  # the person declined, or the provider refused
        reason = request.query_params.get("error", "")[:100]
        return _message(request, 401, "Sign-in was not completed", f"The provider said: {reason}")
    security = _services(request).security
    codec = await security.sessions()
    now_s = _now_s(request)
    try:
        state = codec.login(request.cookies.get(LOGIN_COOKIE, ""), now_s)
        principal = await oidc.finish(str(request.url), _public(request, CALLBACK), state, now_s)
    except (TokenInvalid, SignInFailed) as exc:
        detail = str(exc) if isinstance(exc, SignInFailed) else "This sign-in has expired."
        return _message(request, 400, "Sign-in failed", detail, retry=True)
    secure = _secure(request)
    ttl = request.app.state.settings.session_ttl
    response = RedirectResponse(state.next_path, status_code=303)
    response.delete_cookie(LOGIN_COOKIE, path=_LOGIN_COOKIE_PATH, secure=secure, httponly=True)
    response.set_cookie(
        session_cookie_name(secure),
        await security.start_session(principal, ttl),
        max_age=ttl,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )
    return response


@router.post("/ui/logout", summary="Sign out")
async def logout(request: Request) -> Response:
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    cookie = next((request.cookies[n] for n in SESSION_COOKIES if request.cookies.get(n)), None)
    if cookie is not None:
        security = _services(request).security
        try:
            session = await security.session(cookie)
        except Unauthenticated:
            session = None  # expired or forged: there is nothing to protect, just clear it
        codec = await security.sessions()
        if session is not None and not codec.csrf_ok(session.sid, form.get(CSRF_FIELD)):
            return _message(request, 403, "Refused", _FORGED)
        if session is not None:  # ended for real: a copy of the cookie is refused too
            await security.end_session(session)
    response = RedirectResponse("/ui/signed-out", status_code=303)
    for name in SESSION_COOKIES:
        response.delete_cookie(name, path="/", secure=name.startswith("__Host-"), httponly=True)
    return response


@router.get("/ui/signed-out", summary="Signed out")
async def signed_out(request: Request) -> Response:
    return _message(request, 200, "Signed out", "You are signed out.", retry=True)


_NOT_CONFIGURED = (
    "This server has no identity provider for people to sign in with: start it with "
    "--auth --oidc-issuer, or put it behind a proxy that signs people in."
)
_FORGED = "This form did not come from a page of this server (its CSRF token is missing or wrong)."


def _services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def _oidc(request: Request) -> OidcClient | None:
    oidc: OidcClient | None = getattr(request.app.state, "oidc", None)
    return oidc


def _now_s(request: Request) -> int:
    return _services(request).ctx.clock() // 1000


def _public(request: Request, path: str) -> str:
    """An absolute address of this server as people reach it (`--public-url`, else as asked)."""
    base: str | None = request.app.state.settings.public_url
    return (base or str(request.base_url).rstrip("/")) + path


def _secure(request: Request) -> bool:
    return _public(request, "/").startswith("https://")


def _local_path(value: str | None) -> str:
    """Where to go after signing in: a path on this server only (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return HOME
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):  # browsers drop tabs, newlines
        return HOME
    return value


def _page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _message(
    request: Request, status: int, title: str, detail: str, *, retry: bool = False
) -> HTMLResponse:
    return _page(request, "message.html", status, title=title, detail=detail, retry=retry)
