"""Apply compiled path tokens to a JSON value (Jayway's ``PathToken.evaluate`` family).

Evaluation collects every match. A missing key, an index out of range or a key applied to a
list simply match nothing: that is what Conductor's ``Option.SUPPRESS_EXCEPTIONS`` makes of
Jayway's ``PathNotFoundException``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from podium.expr.filtereval import accept
from podium.expr.pathfuncs import apply_function, is_list, is_map
from podium.expr.pathtokens import (
    CompiledPath,
    Filter,
    Func,
    Index,
    Prop,
    Scan,
    Slice,
    Token,
    Wildcard,
)

__all__ = ["RootReader", "evaluate"]

RootReader = Callable[[CompiledPath], list[Any]]
"""Evaluates a ``$`` path found inside a filter against the whole document."""


def evaluate(
    tokens: tuple[Token, ...], node: Any, read_root: RootReader, *, inverted: bool = False
) -> list[Any]:
    """Every value ``tokens`` reach from ``node``, in document order.

    ``inverted`` is Jayway's ``$..x.length()`` rewrite to ``length($..x)``: the trailing
    function is applied once, to the list of matches.
    """
    if inverted and isinstance(last := tokens[-1], Func):
        return [apply_function(last, _Walker(tokens[:-1], read_root).run(node))]
    return _Walker(tokens, read_root).run(node)


class _Walker:
    __slots__ = ("out", "read_root", "tokens")

    def __init__(self, tokens: tuple[Token, ...], read_root: RootReader) -> None:
        self.tokens = tokens
        self.read_root = read_root
        self.out: list[Any] = []

    def run(self, node: Any) -> list[Any]:
        self.visit(0, node)
        return self.out

    def visit(self, i: int, node: Any) -> None:
        if i == len(self.tokens):
            self.out.append(node)
            return
        token = self.tokens[i]
        if isinstance(token, Prop):
            self._prop(token, i, node)
        elif isinstance(token, Index):
            self._indexes(token.indexes, i, node)
        elif isinstance(token, Slice):
            self._slice(token, i, node)
        elif isinstance(token, Wildcard):
            self._children(i + 1, node)
        elif isinstance(token, Scan):
            self._scan(i, node)
        elif isinstance(token, Filter):
            self._filter(token, i, node)
        else:
            self.visit(i + 1, apply_function(token, node))

    def _prop(self, token: Prop, i: int, node: Any) -> None:
        if not is_map(node):
            return
        names = token.names
        if len(names) > 1 and i + 1 == len(self.tokens):
            # Several names at the leaf merge into one map, as Jayway does.
            self.out.append({name: node[name] for name in names if name in node})
            return
        for name in names:
            if name in node:
                self.visit(i + 1, node[name])

    def _indexes(self, indexes: tuple[int, ...] | range, i: int, node: Any) -> None:
        if not is_list(node):
            return
        size = len(node)
        for index in indexes:
            effective = index + size if index < 0 else index
            if 0 <= effective < size:
                self.visit(i + 1, node[effective])

    def _slice(self, token: Slice, i: int, node: Any) -> None:
        if not is_list(node):
            return
        size, start, stop = len(node), token.start, token.stop
        if stop is None and start is not None:
            indexes = range(max(0, size + start) if start < 0 else start, size)
        elif start is None and stop is not None:
            indexes = range(0, min(size, size + stop if stop < 0 else stop))
        else:
            # Jayway's [from:to] does not normalise a negative ``from``: indexes wrap one by one.
            indexes = range(start or 0, min(size, stop or 0))
        self._indexes(indexes, i, node)

    def _children(self, i: int, node: Any) -> None:
        if is_map(node):
            for value in list(node.values()):
                self.visit(i, value)
        elif is_list(node):
            for value in node:
                self.visit(i, value)

    def _filter(self, token: Filter, i: int, node: Any) -> None:
        if is_map(node):
            if accept(token.predicate, node, self._read_operand):
                self.visit(i + 1, node)
        elif is_list(node):
            for item in node:
                if accept(token.predicate, item, self._read_operand):
                    self.visit(i + 1, item)

    def _read_operand(self, path: CompiledPath, item: Any) -> list[Any]:
        if path.context == "@":
            return evaluate(path.tokens, item, self.read_root, inverted=path.inverted)
        return self.read_root(path)

    def _scan(self, i: int, node: Any) -> None:
        """``..``: try the next token on ``node`` and on every map or list below it."""
        if i + 1 == len(self.tokens):
            return
        if is_map(node):
            if self._scan_matches(i + 1, node):
                self.visit(i + 1, node)
        elif is_list(node):
            if self._scan_matches(i + 1, node):
                # Jayway's walkArray applies the token after the target to each element.
                step = 1 if i + 2 == len(self.tokens) else 2
                for item in [node] if step == 1 else node:
                    self.visit(i + step, item)
        else:
            return
        for child in list(node.values()) if is_map(node) else node:
            if is_map(child) or is_list(child):
                self._scan(i, child)

    def _scan_matches(self, target: int, node: Any) -> bool:
        token = self.tokens[target]
        if isinstance(token, Prop):
            return is_map(node) and (len(token.names) > 1 or token.names[0] in node)
        if isinstance(token, Index | Slice):
            return is_list(node)
        if isinstance(token, Filter):
            return accept(token.predicate, node, self._read_operand)
        return isinstance(token, Wildcard)
