"""jq for JSON_JQ_TRANSFORM: every result of a program run over the task input.

Conductor runs ``queryExpression`` with jackson-jq and reports ``{result: first, resultList: all}``.
Its numbers come back as ``long`` when integral and ``double`` otherwise; we mirror that with
``int``/``float``. Unlike jackson-jq, jq holds every number as a double, so integers beyond
2**53 lose precision even when the program only copies them. Programs are compiled once and
cached, since the same query runs on every execution of a workflow definition.

Hardening: ``env`` and ``$ENV`` would hand the server's environment (database URLs, secrets) to
whoever writes a workflow definition, so both are shadowed by an empty object; ``import`` and
``include`` are refused. jq has no time or memory limit: a program such as ``[repeat(1)]`` runs
until the process runs out of memory.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import jq as _jq

from podium.errors import PodiumError
from podium.expr.jsontext import to_json_text

__all__ = ["JqError", "transform"]

_SANDBOX_PREFIX = "def env: {}; {} as $ENV | "
"""Shadows jq's environment access; prefixed to every program (a def or a binding, both lexical)."""

_LONG_MIN = -(2**63)
_LONG_MAX = 2**63 - 1
_CACHE_SIZE = 512


class JqError(PodiumError):
    """The jq program could not be compiled or failed while running."""


def transform(query: str, data: Any) -> list[Any]:
    """Return all results of the jq program ``query`` applied to ``data``.

    Integral numbers come back as ``int`` and others as ``float`` (Conductor: long vs double);
    ``nan`` becomes ``None`` as in jq's JSON output. Raises ``JqError`` with jq's message for an
    invalid program, a runtime error (``error("...")``, type errors) or input that is not JSON.
    """
    program = _compile(query)
    text = _to_json_text(data)
    try:
        results = program.input_text(text).all()
    except ValueError as exc:
        raise JqError(_message(exc)) from exc
    return [_normalise(value) for value in results]


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _compile(query: str) -> Any:
    """Compile ``query`` behind the sandbox prefix; the plain program first, for clean messages."""
    try:
        _jq.compile(query)
    except ValueError as exc:
        raise JqError(_message(exc)) from exc
    try:
        return _jq.compile(_SANDBOX_PREFIX + query)
    except ValueError as exc:
        # The plain program compiled, so only a top-level directive can fail behind the prefix.
        raise JqError("jq modules (import/include) are not supported") from exc


def _to_json_text(data: Any) -> str:
    try:
        return to_json_text(data)
    except TypeError as exc:
        raise JqError(f"the jq input is not JSON: {exc}") from exc


def _normalise(value: Any) -> Any:
    """Integral numbers within Java's long range are ``int``, all others ``float``.

    jq computes in doubles, and the binding already turns integral doubles into ``int``, however
    large; past the long range jackson-jq would have produced a DoubleNode.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if _LONG_MIN <= value <= _LONG_MAX else float(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and _LONG_MIN <= value <= _LONG_MAX:
            return int(value)
        return value
    if isinstance(value, list):
        return [_normalise(item) for item in value]
    if isinstance(value, dict):
        return {key: _normalise(item) for key, item in value.items()}
    return value


def _message(exc: ValueError) -> str:
    return str(exc).strip() or "jq failed"
