"""Request parsing shared by the routes: Conductor's leniencies, JSON bodies, responses."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from fastapi import Request, Response
from pydantic import BaseModel

from podium.api.auth import principal_of
from podium.errors import BadRequest
from podium.model.validation import parse_model
from podium.services import Services

__all__ = [
    "actor_of",
    "json_body",
    "json_response",
    "model_body",
    "no_external_storage",
    "operator_of",
    "opt_str",
    "qbool",
    "qint",
    "services",
    "text_response",
]

M = TypeVar("M", bound=BaseModel)

_TRUE = {"true", "1", "yes", "on", "t", "y"}
_FALSE = {"false", "0", "no", "off", "f", "n"}


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def actor_of(request: Request, default: str = "api") -> str:
    """Who the execution history names for an operator's request: the principal (`app:<id>`,
    a user id) with authentication on, else `default`."""
    return operator_of(request) or default


def operator_of(request: Request) -> str | None:
    """The principal's id (None with authentication off)."""
    principal = principal_of(request.scope)
    return principal.id if principal is not None else None


def opt_str(value: str | None) -> str | None:
    """The SDK sends None as the string "None" (POST) or an empty value (GET)."""
    if value is None or value in {"", "None", "null"}:
        return None
    return value


def qbool(request: Request, name: str, default: bool) -> bool:
    """A boolean query parameter, case-insensitive (`True` from the Python SDK)."""
    raw = opt_str(request.query_params.get(name))
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise BadRequest(f"Query parameter {name} must be true or false, not {raw!r}")


def qint(request: Request, name: str, default: int) -> int:
    raw = opt_str(request.query_params.get(name))
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise BadRequest(f"Query parameter {name} must be an integer, not {raw!r}") from exc


async def json_body(request: Request, *, default: Any = None) -> Any:
    """The body as JSON; `default` when it is empty. Malformed JSON is a 400."""
    raw = await request.body()
    if not raw.strip():
        return default
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"Malformed JSON in the request body: {exc}") from exc


async def model_body(request: Request, model: type[M], *, default: Any = None) -> M:
    data = await json_body(request, default=default)
    if data is None:
        raise BadRequest(f"A JSON {model.__name__} body is required")
    return parse_model(model, data)


def no_external_storage() -> Response:
    """Conductor's external payload storage does not exist here: payloads stay in the database."""
    raise BadRequest(
        "External payload storage is not configured: Podium keeps payloads in its database "
        "(bodies up to --max-payload-bytes)"
    )


def json_response(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def text_response(text: str, status: int = 200) -> Response:
    return Response(text, status_code=status, media_type="text/plain")
