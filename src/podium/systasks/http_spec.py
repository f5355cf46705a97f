"""The HTTP task's input: parsed and validated once, before any I/O.

Mirrors `HttpTask.Input` of Conductor (`http-task/.../tasks/http/HttpTask.java`): the request lives
under `http_request`, or in the input root itself when the root has `uri` or `method`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = [
    "DEFAULT_MEDIA_TYPE",
    "DEFAULT_TIMEOUT_MS",
    "METHODS",
    "HttpInputError",
    "HttpRequestSpec",
    "encode_body",
    "is_json_media_type",
]

REQUEST_KEY = "http_request"
DEFAULT_MEDIA_TYPE = "application/json"
DEFAULT_TIMEOUT_MS = 3000
METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"})

# Conductor's own wording, so reasons read the same as on a Conductor server.
MISSING_URI = "Missing HTTP URI.  See documentation for HttpTask for required input parameters"
MISSING_METHOD = "No HTTP method specified"
MISSING_REQUEST = (
    "Missing HTTP request. Task input MUST have a 'http_request' key with HttpTask.Input as value."
    " See documentation for HttpTask for required input parameters"
)


class HttpInputError(Exception):
    """The HTTP task's input is missing a field or holds a value that cannot be sent."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class HttpRequestSpec:
    """One HTTP call as the task input describes it (timeouts in milliseconds; 0 = no limit)."""

    uri: str
    method: str
    headers: dict[str, str]
    body: Any
    accept: str
    content_type: str
    connection_timeout_ms: int
    read_timeout_ms: int

    @classmethod
    def from_input(cls, task_input: Mapping[str, Any]) -> HttpRequestSpec:
        """Read the request from a task input; raise `HttpInputError` with a clear message."""
        request = _request_object(task_input)
        content_type = _media_type(request.get("contentType"), "contentType")
        body = request.get("body")
        _check_body_fits(body, content_type)
        return cls(
            uri=_uri(request.get("uri")),
            method=_method(request.get("method")),
            headers=_headers(request.get("headers")),
            body=body,
            accept=_media_type(request.get("accept"), "accept"),
            content_type=content_type,
            connection_timeout_ms=_timeout_ms(
                request.get("connectionTimeOut"), "connectionTimeOut"
            ),
            read_timeout_ms=_timeout_ms(request.get("readTimeOut"), "readTimeOut"),
        )


def _request_object(task_input: Mapping[str, Any]) -> Mapping[str, Any]:
    request = task_input.get(REQUEST_KEY)
    if request is None:
        if "uri" in task_input or "method" in task_input:
            return task_input
        raise HttpInputError(MISSING_REQUEST)
    if not isinstance(request, Mapping):
        raise HttpInputError(f"'{REQUEST_KEY}' must be an object, not {_kind(request)}")
    return request


def _uri(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise HttpInputError(MISSING_URI)
    if not isinstance(value, str):
        raise HttpInputError(f"HTTP uri must be a string, not {_kind(value)}")
    try:
        url = httpx.URL(value.strip())
    except httpx.InvalidURL as exc:
        raise HttpInputError(f"Invalid HTTP uri: {exc}") from exc
    if not url.scheme or not url.host:
        raise HttpInputError(
            "Invalid HTTP uri: it needs a scheme and a host, e.g. https://host/path"
        )
    return value.strip()


def _method(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise HttpInputError(MISSING_METHOD)
    method = str(value).strip().upper()
    if method not in METHODS:
        raise HttpInputError(
            f"Unsupported HTTP method {str(value)[:20]!r}; use one of {', '.join(sorted(METHODS))}"
        )
    return method


def _headers(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise HttpInputError(f"HTTP headers must be an object, not {_kind(value)}")
    headers: dict[str, str] = {}
    for name, raw in value.items():
        if raw is None:  # Conductor skips null header values
            continue
        headers[str(name)] = _plain_line(f"header {str(name)!r}", _header_value(str(name), raw))
    return headers


def _plain_line(field: str, value: str) -> str:
    # Refused here because the HTTP stack's own error would echo the value, maybe a secret.
    if any(char in value for char in "\r\n\0"):
        raise HttpInputError(f"HTTP {field} must not contain line breaks or NUL characters")
    return value


def _header_value(name: str, value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_header_value(name, item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise HttpInputError(f"HTTP header {name!r} must be a string or a number, not {_kind(value)}")


def _media_type(value: Any, field: str) -> str:
    if value is None:
        return DEFAULT_MEDIA_TYPE
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return _plain_line(field, ", ".join(v.strip() for v in value))
    if isinstance(value, str) and value.strip():
        return _plain_line(field, value.strip())
    raise HttpInputError(f"HTTP {field} must be a media type string, not {_kind(value)}")


def _timeout_ms(value: Any, field: str) -> int:
    if value is None:
        return DEFAULT_TIMEOUT_MS
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or number < 0 or number != int(number):
        raise HttpInputError(f"HTTP {field} must be a whole number of milliseconds, not {value!r}")
    return int(number)


def is_json_media_type(media_type: str) -> bool:
    """Whether Jackson would write a body of this type: application/json or any `+json` type."""
    essence = media_type.split(";", 1)[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json")


def _check_body_fits(body: Any, content_type: str) -> None:
    # RestTemplate writes a String verbatim under any type and other objects only as JSON.
    if body is None or isinstance(body, str) or is_json_media_type(content_type):
        return
    raise HttpInputError(
        f"Cannot send a {_kind(body)} body as {content_type}; "
        "send a string body or use contentType application/json"
    )


def encode_body(spec: HttpRequestSpec) -> bytes | None:
    """The request body's bytes: a string as is (UTF-8), anything else as compact JSON."""
    if spec.body is None:
        return None
    if isinstance(spec.body, str):
        return spec.body.encode()
    _check_body_fits(spec.body, spec.content_type)
    try:
        text = json.dumps(spec.body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise HttpInputError(f"HTTP body cannot be written as JSON: {exc}") from exc
    return text.encode()


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__
