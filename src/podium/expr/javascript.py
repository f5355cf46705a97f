"""Conductor-style JavaScript for INLINE, LAMBDA, SWITCH, DECISION, DO_WHILE and event conditions.

Conductor evaluates these scripts with GraalJS (formerly Nashorn): ``$`` is bound to a JSON
object and the value of the last expression statement is the result, so ``$.a > 1``,
``if ($.x) { 'yes'; } else { 'no'; }`` and ``function e() { ... } e();`` all work. We run them in
V8 through mini-racer (``js_engine``): no ``require``, ``process``, ``fetch``, ``XMLHttpRequest``
or module loading exists there, a call is stopped after ``timeout_ms`` and once the V8 heap
passes ``memory_mb``, and one isolate per thread is reused so a call costs well under a
millisecond. Calls cannot see each other's variables: declarations stay inside the call, and
globals or built-ins a script changes are put back after it (``js_prelude``).

Scripts run in a separate process (``js_process``): a single built-in call that allocates more
than V8's own heap ceiling (about 1.5 GB, e.g. ``new Array(2.5e8).fill(1)``) aborts that process,
which V8 treats as fatal; the server replaces it and fails the script's task.

The ``javascript`` and ``graaljs`` evaluator types both mean this engine; ``value-param`` and
``python`` are handled by the callers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from podium.errors import PodiumError
from podium.expr.js_prelude import lambda_source, run_program
from podium.expr.js_process import script_host
from podium.expr.jsontext import to_json_text

__all__ = [
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT_MS",
    "JAVASCRIPT_EVALUATORS",
    "ScriptError",
    "ScriptMemoryExceeded",
    "ScriptTimeout",
    "evaluate",
    "evaluate_lambda",
    "syntax_error",
    "truthy",
]

DEFAULT_TIMEOUT_MS = 4000
"""Conductor's script time limit."""

DEFAULT_MEMORY_MB = 64

JAVASCRIPT_EVALUATORS = frozenset({"javascript", "graaljs"})
"""The ``evaluatorType`` values this module evaluates."""


_IMPRECISE = re.compile(r"\d{17}|\d[eE]")
"""Number text orjson may misread: JavaScript pads doubles above 1e16 with zeros, and writes an
exponent from 1e21 on. Below that, JSON.stringify prints integral numbers exactly, as integers."""
_SAFE = 2**53
_LONG_MIN = -(2**63)
_LONG_MAX = 2**63 - 1


class ScriptError(PodiumError):
    """The script could not be evaluated."""


class ScriptTimeout(ScriptError):
    """The script ran longer than its time limit."""


class ScriptMemoryExceeded(ScriptError):
    """The script used more memory than its limit."""


def evaluate(
    expression: str,
    bindings: Mapping[str, Any],
    *,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    memory_mb: int = DEFAULT_MEMORY_MB,
) -> Any:
    """Run ``expression`` with ``$`` bound to ``bindings`` and return its last expression's value.

    The value comes back as JSON would carry it: dict, list, str, int (an integral number within
    Java's long range, as GraalJS hands Conductor a Long), float, bool or ``None`` (also for
    ``undefined``, functions, ``NaN`` and ``Infinity``).
    Raises ``ScriptError`` with the JavaScript message (``"ReferenceError: foo is not
    defined"``) for a syntax error, a thrown exception or a result that is not JSON (a BigInt,
    a cycle); ``ScriptTimeout`` and ``ScriptMemoryExceeded`` when a limit stops it.
    """
    program = run_program(expression, _bindings_json(bindings))
    answer = script_host().call(
        program, timeout_s=timeout_ms / 1000, memory_bytes=max(memory_mb, 1) * 1024 * 1024
    )
    if answer.timed_out:
        raise ScriptTimeout(f"Script timed out after {timeout_ms} ms")
    if answer.out_of_memory:
        raise ScriptMemoryExceeded(f"Script exceeded the memory limit of {memory_mb} MB")
    text = answer.text
    if text is None:
        raise ScriptError(answer.failure or "the JavaScript engine failed")
    kind, payload = text[:1], text[1:]
    if kind == "U":
        return None
    if kind == "E":
        raise ScriptError(payload or "the script failed")
    value = orjson.loads(payload)
    return _exact(value) if _IMPRECISE.search(payload) else value


def evaluate_lambda(
    script_body: str,
    bindings: Mapping[str, Any],
    *,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    memory_mb: int = DEFAULT_MEMORY_MB,
) -> Any:
    """LAMBDA: ``script_body`` is a function body that ``return``s the result (``$`` as above)."""
    return evaluate(
        lambda_source(script_body), bindings, timeout_ms=timeout_ms, memory_mb=memory_mb
    )


def syntax_error(source: str) -> str | None:
    """Why `source` does not parse as a Conductor script, or None when it does (not run)."""
    check = "try { new Function('$', $.src); null } catch (e) { String(e) }"
    found = evaluate(check, {"src": source}, timeout_ms=1000)
    return str(found) if found else None


def truthy(value: Any) -> bool:
    """Conductor's ``evalBool``: ``True``, or a number greater than zero; anything else is false.

    Used for ``loopCondition`` and event handler conditions. Strings (even ``"true"``), ``None``,
    lists and maps are false.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value > 0
    return False


def _bindings_json(bindings: Mapping[str, Any]) -> str:
    try:
        return to_json_text(bindings)
    except TypeError as exc:
        raise ScriptError(f"the script input is not JSON: {exc}") from exc


def _exact(value: Any) -> Any:
    """Give big numbers the exact value of the double JavaScript had: ``int`` within Java's long.

    ``57418753842384150`` is how JavaScript prints the double 57418753842384152.
    """
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _SAFE:
        value = float(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() and _LONG_MIN <= value <= _LONG_MAX else value
    if isinstance(value, list):
        return [_exact(item) for item in value]
    if isinstance(value, dict):
        return {key: _exact(item) for key, item in value.items()}
    return value
