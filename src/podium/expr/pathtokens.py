"""The compiled form of a Jayway JsonPath: path tokens and the filter predicate tree.

Mirrors ``com.jayway.jsonpath.internal.path`` (``PropertyPathToken``, ``ArrayIndexToken``...)
and ``internal.filter`` (``RelationalExpressionNode``, ``LogicalExpressionNode``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "CompiledPath",
    "Const",
    "Exists",
    "Filter",
    "Func",
    "Index",
    "Logical",
    "Operand",
    "PathOperand",
    "Predicate",
    "Prop",
    "Relation",
    "Scan",
    "Slice",
    "Token",
    "Wildcard",
]


@dataclass(frozen=True, slots=True)
class Prop:
    """``.name`` or ``['a']`` (one name, definite) or ``['a','b']`` (several, indefinite)."""

    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Index:
    """``[0]`` or ``[-1]`` (definite), ``[0,2]`` (indefinite)."""

    indexes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Slice:
    """``[1:]``, ``[:2]`` or ``[1:3]``."""

    start: int | None
    stop: int | None


@dataclass(frozen=True, slots=True)
class Wildcard:
    """``*`` or ``[*]``: every value of a map or element of a list."""


@dataclass(frozen=True, slots=True)
class Scan:
    """``..``: the next token applied at every depth."""


@dataclass(frozen=True, slots=True)
class Func:
    """``.length()`` and the other path functions."""

    name: str
    has_args: bool


@dataclass(frozen=True, slots=True)
class Filter:
    """``[?(...)]``."""

    predicate: Predicate


Token = Prop | Index | Slice | Wildcard | Scan | Func | Filter


@dataclass(frozen=True, slots=True)
class Const:
    """A literal operand: str, int, float, bool, None, a JSON list/map or a compiled regex."""

    value: Any


@dataclass(frozen=True, slots=True)
class PathOperand:
    """``@.a.b`` (relative to the tested item) or ``$.x`` (the whole document)."""

    path: CompiledPath


Operand = Const | PathOperand


@dataclass(frozen=True, slots=True)
class Relation:
    """``left <op> right``; ``op`` is lower-case (``==``, ``in``, ``=~``...)."""

    left: Operand
    op: str
    right: Operand


@dataclass(frozen=True, slots=True)
class Exists:
    """``[?(@.a)]`` (expected True) or ``[?(!@.a)]`` (expected False)."""

    path: CompiledPath
    expected: bool


@dataclass(frozen=True, slots=True)
class Logical:
    """``&&`` or ``||`` of two predicates."""

    op: str
    left: Predicate
    right: Predicate


Predicate = Relation | Exists | Logical


@dataclass(frozen=True, slots=True)
class CompiledPath:
    """A compiled path.

    ``root`` is the first property name when the path starts ``$.name``, so that only that key of
    the document needs reading; ``steps`` are the tokens to apply to its value (all tokens when
    ``root`` is None). ``keys`` is set when every step is a plain key or index: the fast path.
    ``roots`` are the document keys a read may touch (``"*"``: any).
    """

    context: str
    tokens: tuple[Token, ...]
    definite: bool
    inverted: bool
    root: str | None
    steps: tuple[Token, ...]
    keys: tuple[str | int, ...] | None
    roots: frozenset[str]
