"""Evaluate compiled ``[?(...)]`` predicates against one item (Jayway's ``EvaluatorFactory``).

Operands keep Jayway's typing: a number equals a string when the string parses to the same
number, ``<``/``>`` compare numbers or strings, a missing definite path is *undefined* and
fails every comparison except ``!=`` / ``nin``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from podium.expr.javastr import java_str
from podium.expr.pathfuncs import is_list, is_map
from podium.expr.pathtokens import CompiledPath, Const, Exists, Logical, Operand, Predicate

__all__ = ["Reader", "accept"]

Reader = Callable[[CompiledPath, Any], list[Any]]
"""Evaluates a filter operand path: ``@`` paths against the item, ``$`` paths the document."""


class _Undefined:
    """A definite operand path that matched nothing."""


_UNDEFINED: Final = _Undefined()


def accept(predicate: Predicate, item: Any, read: Reader) -> bool:
    """True when ``item`` passes ``predicate``."""
    if isinstance(predicate, Logical):
        if predicate.op == "&&":
            return accept(predicate.left, item, read) and accept(predicate.right, item, read)
        return accept(predicate.left, item, read) or accept(predicate.right, item, read)
    if isinstance(predicate, Exists):
        return bool(read(predicate.path, item)) == predicate.expected
    left = _operand(predicate.left, item, read)
    right = _operand(predicate.right, item, read)
    return _EVALUATORS[predicate.op](left, right)


def _operand(operand: Operand, item: Any, read: Reader) -> Any:
    if isinstance(operand, Const):
        return operand.value
    found = read(operand.path, item)
    if operand.path.definite:
        return found[0] if found else _UNDEFINED
    return found


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "str"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "num"
    if value is None:
        return "null"
    if is_list(value) or is_map(value):
        return "json"
    return "pattern" if isinstance(value, re.Pattern) else "undefined"


def _as_number(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text.strip() == text and text else None
    except InvalidOperation:
        return None


def _equals(left: Any, right: Any) -> bool:
    kinds = (_kind(left), _kind(right))
    if kinds == ("num", "str"):
        number = _as_number(right)
        return number is not None and number.is_finite() and number == Decimal(repr(left))
    if kinds == ("str", "num"):
        return bool(left == java_str(right))
    if kinds == ("pattern", "pattern"):
        return bool(left.pattern == right.pattern)
    return kinds[0] == kinds[1] and kinds[0] != "undefined" and bool(left == right)


def _compare(left: Any, right: Any) -> int | None:
    kinds = (_kind(left), _kind(right))
    if kinds == ("num", "num"):
        return int((left > right) - (left < right))
    if kinds == ("str", "num"):
        right = java_str(right)
    elif kinds == ("num", "str"):
        left = java_str(left)
    elif kinds != ("str", "str"):
        return None
    return int((left > right) - (left < right))


def _regex(left: Any, right: Any) -> bool:
    if isinstance(left, re.Pattern) == isinstance(right, re.Pattern):
        return False
    pattern, subject = (left, right) if isinstance(left, re.Pattern) else (right, left)
    subjects = subject if is_list(subject) else [subject]
    return any(pattern.fullmatch(_regex_input(value)) for value in subjects)


def _regex_input(value: Any) -> str:
    return java_str(value) if _kind(value) in ("str", "num", "bool") else ""


def _contained(value: Any, values: Any) -> bool:
    return is_list(values) and any(_equals(value, candidate) for candidate in values)


def _contains(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return right in left
    return is_list(left) and any(_equals(right, candidate) for candidate in left)


def _size(left: Any, right: Any) -> bool:
    sized = _kind(left) in ("str", "json")
    return sized and _kind(right) == "num" and len(left) == int(right)


def _empty(left: Any, right: Any) -> bool:
    sized = _kind(left) in ("str", "json")
    return sized and isinstance(right, bool) and (len(left) == 0) == right


def _both_lists(left: Any, right: Any) -> bool:
    return is_list(left) and is_list(right)


def _all_of(left: Any, right: Any) -> bool:
    return _both_lists(left, right) and all(_contained(value, left) for value in right)


def _subset_of(left: Any, right: Any) -> bool:
    return _both_lists(left, right) and all(_contained(value, right) for value in left)


def _any_of(left: Any, right: Any) -> bool:
    return _both_lists(left, right) and any(_contained(value, right) for value in left)


def _none_of(left: Any, right: Any) -> bool:
    return _both_lists(left, right) and not _any_of(left, right)


def _ordered(test: Callable[[int], bool]) -> Callable[[Any, Any], bool]:
    def evaluate(left: Any, right: Any) -> bool:
        order = _compare(left, right)
        return order is not None and test(order)

    return evaluate


_EVALUATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": _equals,
    "!=": lambda left, right: not _equals(left, right),
    "===": lambda left, right: _kind(left) == _kind(right) and _equals(left, right),
    "!==": lambda left, right: not (_kind(left) == _kind(right) and _equals(left, right)),
    "<": _ordered(lambda order: order < 0),
    "<=": _ordered(lambda order: order <= 0),
    ">": _ordered(lambda order: order > 0),
    ">=": _ordered(lambda order: order >= 0),
    "=~": _regex,
    "in": _contained,
    "nin": lambda left, right: not _contained(left, right),
    "contains": _contains,
    "all": _all_of,
    "size": _size,
    "empty": _empty,
    "subsetof": _subset_of,
    "anyof": _any_of,
    "noneof": _none_of,
}
