"""Jayway path functions: ``length()``, ``size()``, ``sum()``, ``avg()``, ``min()``, ``max()``...

Only the argument-less forms are supported; anything else is an evaluation error, which the
reader suppresses like Conductor does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from podium.expr.pathtokens import Func

__all__ = ["PathEvalError", "apply_function", "is_list", "is_map"]


class PathEvalError(Exception):
    """A path failed while being evaluated (suppressed by the caller, as Jayway's are)."""


def is_map(value: Any) -> bool:
    """True for JSON objects."""
    return isinstance(value, (dict, Mapping))  # dict first: the common case is cheap


def is_list(value: Any) -> bool:
    """True for JSON arrays."""
    return isinstance(value, list | tuple)


def apply_function(func: Func, node: Any) -> Any:
    """Apply ``func`` to ``node``; unknown functions and arguments raise PathEvalError."""
    impl = _FUNCTIONS.get(func.name)
    if impl is None or func.has_args:
        raise PathEvalError(f"unsupported path function {func.name}()")
    return impl(node)


def _length(node: Any) -> int | None:
    # Jayway's Length counts arrays and maps only: a string's length() is null.
    return len(node) if is_list(node) or is_map(node) else None


def _numbers(node: Any) -> list[float]:
    values = node if is_list(node) else ()
    numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if not numbers:
        raise PathEvalError("aggregation function attempted to calculate value using empty array")
    return numbers


def _sum(node: Any) -> float:
    total = 0.0
    for value in _numbers(node):
        total += value
    return total


def _avg(node: Any) -> float:
    return _sum(node) / len(_numbers(node))


def _stddev(node: Any) -> float:
    numbers = _numbers(node)
    total, squares, count = sum(numbers), sum(v * v for v in numbers), len(numbers)
    return math.sqrt(squares / count - total * total / count / count)


def _first(node: Any) -> Any:
    return node[0] if is_list(node) and node else None


def _last(node: Any) -> Any:
    return node[-1] if is_list(node) and node else None


def _keys(node: Any) -> list[Any] | None:
    return list(node.keys()) if is_map(node) else None


_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "length": _length,
    "size": _length,
    "sum": _sum,
    "avg": _avg,
    "stddev": _stddev,
    "min": lambda node: min(_numbers(node)),
    "max": lambda node: max(_numbers(node)),
    "first": _first,
    "last": _last,
    "keys": _keys,
}
