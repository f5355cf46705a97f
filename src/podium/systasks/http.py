"""The HTTP system task: call a URL from the task input and report the response as the output.

Mirrors Conductor's `HttpTask` (`http-task/.../tasks/http/HttpTask.java`): a 2xx response completes
the task; any other status, a refused destination or a network error fails it with the reason.
The system-task runner calls `run_http_task` (or `call_http` with a parsed spec) outside the
decider's transaction and reports the `HttpOutcome` like a worker's update (asyncComplete, which
keeps a 2xx task IN_PROGRESS, is the runner's concern).

Redirects (301, 302, 303, 307, 308) are followed up to `MAX_REDIRECTS` times, like Conductor's
Apache client; every hop goes through the outbound guard again, and httpx drops the
Authorization header when a redirect leaves the origin. Reasons and logs name the host only:
never the query, credentials in the URI or header values.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from podium.systasks.http_guard import BlockedDestination, OutboundGuard
from podium.systasks.http_response import response_output
from podium.systasks.http_spec import HttpInputError, HttpRequestSpec, encode_body
from podium.systasks.http_transport import DEFAULT_LIMITS, PinnedTransport, pinned

__all__ = [
    "MAX_REDIRECTS",
    "BlockedDestination",
    "HttpInputError",
    "HttpOutcome",
    "HttpRequestSpec",
    "OutboundGuard",
    "call_http",
    "new_client",
    "run_http_task",
]

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
FAILURE_PREFIX = "Failed to invoke HTTP task due to: "


@dataclass(frozen=True)
class HttpOutcome:
    """What the HTTP task ends with: its status, its output and, when it failed, the reason."""

    status: Literal["COMPLETED", "FAILED"]
    output: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None


class _CallFailed(Exception):
    """The call produced no usable response; `detail` says why, without secrets."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def new_client(limits: httpx.Limits = DEFAULT_LIMITS) -> httpx.AsyncClient:
    """A pooled client for HTTP tasks, shared by all of them; close it with `aclose()`.

    Connections go only to guard-checked addresses, redirects are left to `call_http`, proxies in
    the environment are ignored, and no cookie is ever kept: tasks of different workflows share
    this client and must not see each other's sessions. Timeouts come from each task's input.
    """
    no_cookies = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        transport=PinnedTransport(limits),
        follow_redirects=False,
        trust_env=False,
        cookies=no_cookies,
        headers={"User-Agent": "podium-http-task"},
    )


async def run_http_task(
    task_input: Mapping[str, Any], client: httpx.AsyncClient, guard: OutboundGuard
) -> HttpOutcome:
    """Parse the task input and make the call; bad input FAILs the task with the parse message."""
    try:
        spec = HttpRequestSpec.from_input(task_input)
    except HttpInputError as exc:
        return HttpOutcome("FAILED", {}, exc.message)
    return await call_http(spec, client, guard)


async def call_http(
    spec: HttpRequestSpec, client: httpx.AsyncClient, guard: OutboundGuard
) -> HttpOutcome:
    """Make the call described by `spec`; never raises for input, network or HTTP failures."""
    started = time.monotonic()
    try:
        request = _build_request(spec, client)
        response = await _exchange(request, spec, client, guard)
    except HttpInputError as exc:
        outcome = HttpOutcome("FAILED", {}, exc.message)
    except httpx.InvalidURL as exc:  # only for a spec built by hand: from_input checks the uri
        outcome = HttpOutcome("FAILED", {}, f"Invalid HTTP uri: {exc}")
    except _CallFailed as exc:
        outcome = HttpOutcome("FAILED", {"response": exc.detail}, FAILURE_PREFIX + exc.detail)
    else:
        outcome = _outcome(response)
    _log(spec, outcome, started)
    return outcome


def _outcome(response: httpx.Response) -> HttpOutcome:
    output = response_output(response)
    if response.is_success:
        return HttpOutcome("COMPLETED", output)
    status = f"{response.status_code} {output['response']['reasonPhrase']}".strip()
    return HttpOutcome("FAILED", output, FAILURE_PREFIX + status)


def _build_request(spec: HttpRequestSpec, client: httpx.AsyncClient) -> httpx.Request:
    content = encode_body(spec)
    headers = httpx.Headers()
    for name, value in spec.headers.items():  # item by item: httpx then encodes values as UTF-8
        headers[name] = value
    headers.setdefault("Accept", spec.accept)
    if content is not None:  # Conductor always sends it; some servers refuse it on empty bodies
        headers.setdefault("Content-Type", spec.content_type)
    return client.build_request(
        spec.method, spec.uri, headers=headers, content=content, timeout=_timeout(spec)
    )


def _timeout(spec: HttpRequestSpec) -> httpx.Timeout:
    connect = _seconds(spec.connection_timeout_ms)
    read = _seconds(spec.read_timeout_ms)
    return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)


def _seconds(milliseconds: int) -> float | None:
    return milliseconds / 1000 if milliseconds > 0 else None  # 0 means no limit, as in Conductor


async def _exchange(
    request: httpx.Request, spec: HttpRequestSpec, client: httpx.AsyncClient, guard: OutboundGuard
) -> httpx.Response:
    for hop in range(MAX_REDIRECTS + 1):
        response = await _send_checked(request, spec, client, guard, redirected=hop > 0)
        if response.next_request is None:
            return response
        request = response.next_request
    raise _CallFailed(f"more than {MAX_REDIRECTS} redirects, last one to {_where(request.url)}")


async def _send_checked(
    request: httpx.Request,
    spec: HttpRequestSpec,
    client: httpx.AsyncClient,
    guard: OutboundGuard,
    *,
    redirected: bool,
) -> httpx.Response:
    where = _where(request.url)
    try:
        async with asyncio.timeout(_seconds(spec.connection_timeout_ms)):
            destination = await guard.resolve(str(request.url))
        with pinned(destination):
            return await client.send(request)
    except (BlockedDestination, httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
        detail = _describe(exc, spec, where)
        if redirected:
            blocked = isinstance(exc, BlockedDestination)
            detail = f"redirect to {detail}" if blocked else f"after a redirect, {detail}"
        raise _CallFailed(detail) from exc


def _describe(exc: Exception, spec: HttpRequestSpec, where: str) -> str:
    connect_ms, read_ms = spec.connection_timeout_ms, spec.read_timeout_ms
    if isinstance(exc, BlockedDestination):
        return f"{where} refused by the outbound guard: {exc.message}"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"timed out after {connect_ms} ms connecting to {where}"
    if isinstance(exc, httpx.ReadTimeout):
        return f"timed out after {read_ms} ms waiting for {where} to respond"
    if isinstance(exc, httpx.WriteTimeout):
        return f"timed out after {read_ms} ms sending the request to {where}"
    if isinstance(exc, httpx.PoolTimeout):
        return f"no free connection for {where} within {connect_ms} ms"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect to {where}: {_text(exc)}"
    if isinstance(exc, TimeoutError):  # asyncio.timeout around the DNS lookup
        return f"timed out after {connect_ms} ms resolving {where}"
    if isinstance(exc, httpx.LocalProtocolError):  # its text may quote a header value
        return f"the request to {where} is not valid HTTP; check the header names and values"
    if isinstance(exc, OSError):
        return f"could not resolve {where}: {exc.strerror or _text(exc)}"
    return f"{type(exc).__name__} calling {where}: {_text(exc)}"


def _text(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _where(url: httpx.URL) -> str:
    """Host and port only: the path and query may carry tokens, the userinfo a password."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{host}:{url.port}" if url.port else host


def _log(spec: HttpRequestSpec, outcome: HttpOutcome, started: float) -> None:
    response = outcome.output.get("response")
    status_code = response.get("statusCode") if isinstance(response, dict) else None
    logger.log(
        logging.DEBUG if outcome.status == "COMPLETED" else logging.INFO,
        "HTTP task call finished",
        extra={
            "action": "http_task_called",
            "method": spec.method,
            "host": _host_of(spec.uri),
            "statusCode": status_code,
            "outcome": outcome.status,
            "reason": outcome.reason,
            "durationMs": round((time.monotonic() - started) * 1000),
        },
    )


def _host_of(uri: str) -> str:
    try:
        return _where(httpx.URL(uri))
    except httpx.InvalidURL:
        return "(invalid uri)"
