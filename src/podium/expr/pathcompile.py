"""Compile Jayway JsonPath strings into tokens (``com.jayway.jsonpath.internal.path.PathCompiler``).

A path without a leading ``$`` or ``@`` gets ``$.`` prepended, as Jayway does: that is how
Conductor's ``${workflow.input.x}`` becomes ``$.workflow.input.x``.
"""

from __future__ import annotations

import functools
import re

from podium.expr.filtercompile import compile_filter
from podium.expr.lexing import (
    PathSyntaxError,
    char_at,
    matching_close,
    next_significant,
    unescape_java,
)
from podium.expr.pathtokens import (
    CompiledPath,
    Exists,
    Filter,
    Func,
    Index,
    Logical,
    PathOperand,
    Predicate,
    Prop,
    Relation,
    Scan,
    Slice,
    Token,
    Wildcard,
)

__all__ = ["build_path", "compile_path"]

_ARRAY_CHARS = frozenset("0123456789-:, ")
_ARRAY_START = frozenset("0123456789-:")


@functools.lru_cache(maxsize=4096)
def compile_path(path: str) -> CompiledPath | None:
    """Compile ``path`` (leading ``$.`` optional); None when Jayway would reject it."""
    try:
        return _compile(path)
    except (ValueError, re.error, RecursionError):
        return None


def _compile(path: str) -> CompiledPath:
    text = path.strip()
    if not text:
        raise PathSyntaxError("empty path")
    if text[0] not in "$@":
        text = ("$." + path).strip()
    if text.endswith("."):
        raise PathSyntaxError("path must not end with '.'")
    return build_path(text[0], _Tokenizer(text).read())


def _compile_operand(path: str) -> CompiledPath:
    compiled = compile_path(path)
    if compiled is None:
        raise PathSyntaxError(f"invalid filter path {path!r}")
    return compiled


def build_path(context: str, tokens: tuple[Token, ...]) -> CompiledPath:
    """Derive definiteness, the document root key and the fast-path keys of ``tokens``."""
    inverted = bool(tokens) and isinstance(tokens[0], Scan) and isinstance(tokens[-1], Func)
    root, steps = _split_root(context, tokens)
    roots = _filter_roots(tokens)
    if context == "$":
        roots |= {root if root is not None else "*"}
    return CompiledPath(
        context=context,
        tokens=tokens,
        definite=inverted or all(_is_definite(token) for token in tokens),
        inverted=inverted,
        root=root,
        steps=steps,
        keys=_plain_keys(steps) if root is not None else None,
        roots=frozenset(roots),
    )


def _split_root(context: str, tokens: tuple[Token, ...]) -> tuple[str | None, tuple[Token, ...]]:
    if context == "$" and tokens and isinstance(tokens[0], Prop) and len(tokens[0].names) == 1:
        return tokens[0].names[0], tokens[1:]
    return None, tokens


def _is_definite(token: Token) -> bool:
    if isinstance(token, Prop):
        return len(token.names) == 1
    if isinstance(token, Index):
        return len(token.indexes) == 1
    return isinstance(token, Func)


def _plain_keys(steps: tuple[Token, ...]) -> tuple[str | int, ...] | None:
    keys: list[str | int] = []
    for token in steps:
        if isinstance(token, Prop) and len(token.names) == 1:
            keys.append(token.names[0])
        elif isinstance(token, Index) and len(token.indexes) == 1:
            keys.append(token.indexes[0])
        else:
            return None
    return tuple(keys)


def _filter_roots(tokens: tuple[Token, ...]) -> set[str]:
    roots: set[str] = set()
    for token in tokens:
        if isinstance(token, Filter):
            roots |= _predicate_roots(token.predicate)
    return roots


def _predicate_roots(predicate: Predicate) -> set[str]:
    if isinstance(predicate, Logical):
        return _predicate_roots(predicate.left) | _predicate_roots(predicate.right)
    if isinstance(predicate, Exists):
        return set(predicate.path.roots)
    operands = (predicate.left, predicate.right) if isinstance(predicate, Relation) else ()
    return {root for op in operands if isinstance(op, PathOperand) for root in op.path.roots}


class _Tokenizer:
    """Reads the tokens after the leading ``$``/``@``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 1
        self.tokens: list[Token] = []

    def read(self) -> tuple[Token, ...]:
        if len(self.text) > 1 and self.text[1] not in ".[":
            raise PathSyntaxError("expected '.' or '[' after the root")
        while self.pos < len(self.text):
            self._read_token()
        return tuple(self.tokens)

    def _add(self, token: Token, next_pos: int) -> None:
        self.tokens.append(token)
        self.pos = next_pos

    def _read_token(self) -> None:
        char = self.text[self.pos]
        if char == "[":
            self._read_bracket()
        elif char == ".":
            self._read_dot()
        elif char == "*":
            self._add(Wildcard(), self.pos + 1)
        else:
            self._read_property()

    def _read_dot(self) -> None:
        if char_at(self.text, self.pos + 1) == ".":
            self._add(Scan(), self.pos + 2)
        else:
            self.pos += 1
        if char_at(self.text, self.pos) in ("", ".", " "):
            raise PathSyntaxError(f"unexpected character at {self.pos}")

    def _read_property(self) -> None:
        text, end = self.text, self.pos
        while end < len(text) and text[end] not in ".[(":
            if text[end] == " ":
                raise PathSyntaxError("use bracket notation ['my prop'] for blanks")
            end += 1
        name = text[self.pos : end]
        if char_at(text, end) != "(":
            self._add(Prop((name,)), end)
            return
        close = _closing_paren(text, end)
        self._add(Func(name, bool(text[end + 1 : close].strip())), close + 1)

    def _read_bracket(self) -> None:
        inner = next_significant(self.text, self.pos + 1)
        char = char_at(self.text, inner)
        if char in ("'", '"'):
            self._read_quoted(char)
        elif char and char in _ARRAY_START:
            self._read_array()
        elif char == "*":
            close = next_significant(self.text, inner + 1)
            if char_at(self.text, close) != "]":
                raise PathSyntaxError("expected wildcard token to end with ']'")
            self._add(Wildcard(), close + 1)
        elif char == "?":
            self._read_filter(inner)
        else:
            raise PathSyntaxError(f"could not parse token at {self.pos}")

    def _read_array(self) -> None:
        close = self.text.find("]", self.pos + 1)
        if close == -1:
            raise PathSyntaxError("missing ']'")
        expression = self.text[self.pos + 1 : close].strip()
        if not set(expression) <= _ARRAY_CHARS:
            raise PathSyntaxError(f"invalid array index {expression!r}")
        if ":" in expression:
            self._add(_parse_slice(expression), close + 1)
        else:
            indexes = tuple(int(part.strip()) for part in expression.split(","))
            self._add(Index(indexes), close + 1)

    def _read_filter(self, question_mark: int) -> None:
        text = self.text
        open_paren = next_significant(text, question_mark + 1)
        if char_at(text, open_paren) != "(":
            raise PathSyntaxError("expected '[?(' to open a filter")
        close_paren = matching_close(text, open_paren, ")", skip_regex=True)
        close = next_significant(text, close_paren + 1) if close_paren != -1 else -1
        if char_at(text, close) != "]" or close == -1:
            raise PathSyntaxError("expected ')]' to close a filter")
        predicate = compile_filter(text[self.pos : close + 1], _compile_operand)
        self._add(Filter(predicate), close + 1)

    def _read_quoted(self, quote: str) -> None:
        names, end = _QuotedNames(self.text, quote).read(self.pos + 1)
        close = next_significant(self.text, end + 1)
        if char_at(self.text, close) != "]":
            raise PathSyntaxError("property has not been closed - missing ']'")
        self._add(Prop(names), close + 1)


class _QuotedNames:
    """``['a', 'b']``: quoted names separated by commas (Jayway ``readBracketPropertyToken``)."""

    def __init__(self, text: str, quote: str) -> None:
        self.text = text
        self.quote = quote

    def read(self, index: int) -> tuple[tuple[str, ...], int]:
        text, names = self.text, list[str]()
        start = end = 0
        in_name = escaped = after_comma = False
        while index < len(text):
            char = text[index]
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == "]" and not in_name:
                break
            elif char == self.quote and in_name:
                self._check_separator(index)
                names.append(unescape_java(text[start:index]))
                end, in_name = index, False
            elif char == self.quote:
                start, in_name, after_comma = index + 1, True, False
            elif char == "," and not in_name:
                if after_comma:
                    raise PathSyntaxError("found empty property")
                after_comma = True
            index += 1
        if in_name or after_comma:
            raise PathSyntaxError("property has not been closed")
        return tuple(names), end

    def _check_separator(self, index: int) -> None:
        following = char_at(self.text, next_significant(self.text, index + 1))
        if following not in ("]", ","):
            raise PathSyntaxError("properties must be separated by ',' and closed by ']'")


def _closing_paren(text: str, open_at: int) -> int:
    depth = 0
    for index in range(open_at, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index
    raise PathSyntaxError("arguments to function are not closed properly")


def _parse_slice(expression: str) -> Slice:
    if " " in expression:
        raise PathSyntaxError(f"invalid slice {expression!r}")
    parts = expression.split(":")
    start = int(parts[0]) if parts[0] else None
    stop = int(parts[1]) if len(parts) > 1 and parts[1] else None
    if start is None and stop is None:
        raise PathSyntaxError(f"invalid slice {expression!r}")
    return Slice(start, stop)
