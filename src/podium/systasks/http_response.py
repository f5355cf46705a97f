"""The HTTP task's output: `{"response": {body, headers, statusCode, reasonPhrase}}`.

Mirrors `HttpTask.HttpResponse.asMap()` and `extractBody` of Conductor: the body is parsed as JSON
when it can be, a bare JSON number becomes a double and any other scalar its text.
"""

from __future__ import annotations

import json
import math
from http import HTTPStatus
from typing import Any

import httpx

__all__ = ["parse_body", "reason_phrase", "response_output"]


def response_output(response: httpx.Response) -> dict[str, Any]:
    """The task output for a response that arrived, whatever its status."""
    return {
        "response": {
            "body": parse_body(response.text),
            "headers": _headers(response.headers),
            "statusCode": response.status_code,
            "reasonPhrase": reason_phrase(response),
        }
    }


def reason_phrase(response: httpx.Response) -> str:
    """The standard phrase of the status code (as Spring's `HttpStatus`), else the server's."""
    try:
        return HTTPStatus(response.status_code).phrase
    except ValueError:
        return response.reason_phrase


def parse_body(text: str) -> Any:
    """Conductor's `extractBody`: objects and lists as JSON, numbers as float, scalars as text.

    An empty body is `None`, as Conductor leaves the body out when there is none.
    """
    if not text:
        return None
    try:
        value = json.loads(text, parse_constant=_refuse, parse_float=_finite)
    except ValueError:  # not JSON, or NaN/Infinity that JSON output cannot carry: keep the text
        return text
    if isinstance(value, dict | list | str):
        return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)  # Jackson's asText(): "true", "false", "null"
    return _double(value)


def _double(number: int | float) -> int | float:
    try:
        return float(number)
    except OverflowError:  # an integer beyond a double's range stays exact
        return number


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise ValueError(f"{literal} does not fit a double")
    return number


def _headers(headers: httpx.Headers) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in headers.multi_items():
        grouped.setdefault(name, []).append(value)
    return grouped
