"""The one place where Podium errors become HTTP status codes and Conductor's error JSON."""

from __future__ import annotations

import logging
import socket
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from podium.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    IllegalState,
    NotFound,
    PayloadTooLarge,
    PodiumError,
    StoreUnavailable,
    TooManyAttempts,
    Unauthenticated,
    ValidationFailed,
)

__all__ = ["STATUS_OF", "error_body", "error_response", "install_error_handlers"]

log = logging.getLogger("podium.api")

STATUS_OF: dict[type[PodiumError], int] = {
    ValidationFailed: 400,
    BadRequest: 400,
    NotFound: 404,
    Conflict: 409,
    IllegalState: 409,
    PayloadTooLarge: 413,
    Unauthenticated: 401,
    Forbidden: 403,
    TooManyAttempts: 429,
    StoreUnavailable: 503,
    PodiumError: 500,
}

_HOST = socket.gethostname()


def _status(exc: PodiumError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 500


def error_body(status: int, message: str, **extra: Any) -> bytes:
    """Conductor's error JSON."""
    body: dict[str, Any] = {"status": status, "message": message, "instance": _HOST}
    body["retryable"] = extra.pop("retryable", False)
    body.update(extra)
    return orjson.dumps(body)


def error_response(status: int, message: str, **extra: Any) -> Response:
    body = error_body(status, message, **extra)
    return Response(body, status_code=status, media_type="application/json")


async def _podium_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PodiumError)
    status = _status(exc)
    if isinstance(exc, ValidationFailed):
        return error_response(
            status,
            exc.message,
            validationErrors=[v.to_json() for v in exc.violations],
        )
    if isinstance(exc, Unauthenticated):
        return error_response(status, exc.message, error=exc.code)
    if isinstance(exc, TooManyAttempts):
        answer = error_response(status, exc.message, retryable=True)
        answer.headers["Retry-After"] = str(exc.retry_after_s)
        return answer
    return error_response(status, exc.message, retryable=exc.retryable)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"path": ".".join(str(p) for p in e.get("loc", ())), "message": str(e.get("msg"))}
        for e in exc.errors()
    ]
    return error_response(
        400, "Validation failed, check below errors for detail.", validationErrors=errors
    )


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = "No resource at this path"
    return error_response(exc.status_code, message)


async def _unexpected(_request: Request, exc: Exception) -> Response:
    log.exception("unexpected error", extra={"action": "server_error", "error": type(exc).__name__})
    return error_response(500, f"Internal error: {type(exc).__name__}", retryable=True)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PodiumError, _podium_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
