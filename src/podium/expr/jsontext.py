"""Script and jq inputs as JSON text (the form both engines take their data in)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

__all__ = ["to_json_text"]


def to_json_text(data: Any) -> str:
    """`data` as JSON text; TypeError names a value that has no JSON form."""
    return orjson.dumps(data, default=_fallback).decode()


def _fallback(value: Any) -> Any:
    """Serialise the mapping and set types orjson does not know natively (lazy documents...)."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, set | frozenset):
        return list(value)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")
