"""The string forms Java gives JSON values when Conductor interpolates ``${...}``.

Conductor splices ``Objects.toString(value)`` into strings (``ParametersUtils.replaceVariables``):
Jackson maps and lists print as ``{k=v}`` / ``[a, b]``, while the list Jayway builds for an
indefinite path is a json-smart ``JSONArray`` whose ``toString`` is compact JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["java_double", "java_str", "json_smart_str"]


def java_str(value: Any) -> str:
    """Return Java's ``toString`` of a JSON value as Jackson would have built it.

    ``None`` -> ``"null"``, booleans -> ``"true"``/``"false"``, floats in ``Double.toString``
    form (``1.0``, ``1.0E10``), maps -> ``{k=v, k2=v2}``, lists -> ``[a, b]``, strings unchanged.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, Mapping):
        items = ", ".join(f"{java_str(k)}={java_str(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ", ".join(java_str(v) for v in value) + "]"
    return str(value)


def java_double(value: float) -> str:
    """Return ``Double.toString(value)``: shortest digits, scientific outside [1e-3, 1e7)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    digits, exponent = _shortest_digits(abs(value))
    scientific = exponent + len(digits) - 1
    if -3 <= scientific < 7:
        return sign + _plain_decimal(digits, exponent)
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{scientific}"


def _shortest_digits(value: float) -> tuple[str, int]:
    """Digits (no trailing zeros) and exponent of the shortest round-tripping decimal."""
    parts = Decimal(repr(value)).as_tuple()
    raw = "".join(str(d) for d in parts.digits)
    digits = raw.rstrip("0") or "0"
    exponent = int(parts.exponent) + len(raw) - len(digits)
    return digits, exponent


def _plain_decimal(digits: str, exponent: int) -> str:
    point = len(digits) + exponent
    if point <= 0:
        return "0." + "0" * -point + digits
    if point >= len(digits):
        return digits + "0" * (point - len(digits)) + ".0"
    return digits[:point] + "." + digits[point:]


def json_smart_str(value: Any) -> str:
    """Return json-smart's ``JSONValue.toJSONString`` (``NO_COMPRESS`` style) of a JSON value."""
    if isinstance(value, str):
        return '"' + value.translate(_WEB_ESCAPES) + '"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return "null" if math.isinf(value) else java_double(value)
    if isinstance(value, Mapping):
        items = ",".join(f"{json_smart_str(str(k))}:{json_smart_str(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ",".join(json_smart_str(v) for v in value) + "]"
    return json_smart_str(str(value))


def _web_escapes() -> dict[int, str]:
    """json-smart's ``Escape4Web`` table: JSON escapes, ``/`` and some control ranges."""
    table = {code: f"\\u{code:04X}" for code in range(0x20)}
    table.update({code: f"\\u{code:04X}" for code in range(0x7F, 0xA0)})
    table.update({code: f"\\u{code:04X}" for code in range(0x2000, 0x2100)})
    for char, escaped in {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f"}.items():
        table[ord(char)] = escaped
    for char, escaped in {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.items():
        table[ord(char)] = escaped
    return table


_WEB_ESCAPES = _web_escapes()
