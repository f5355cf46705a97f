"""Message bodies on the wire: UTF-8 JSON objects."""

from __future__ import annotations

import logging
from typing import Any

import orjson

__all__ = ["decode", "encode"]

log = logging.getLogger("podium.events")


def encode(payload: dict[str, Any]) -> bytes:
    """The JSON body of a payload."""
    return orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS)


def decode(body: bytes, queue: str, message_id: str) -> dict[str, Any] | None:
    """The payload of a body; None (and a log line) when it is not a JSON object."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        _invalid(queue, message_id, f"not JSON: {exc}")
        return None
    if not isinstance(payload, dict):
        _invalid(queue, message_id, f"a JSON {type(payload).__name__}, not an object")
        return None
    return payload


def _invalid(queue: str, message_id: str, why: str) -> None:
    log.warning(
        "event message dropped",
        extra={
            "action": "event_message_invalid",
            "queue": queue,
            "messageId": message_id,
            "reason": why,
        },
    )
