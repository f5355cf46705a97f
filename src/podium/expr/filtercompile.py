"""Compile ``[?(...)]`` filters (``com.jayway.jsonpath.internal.filter.FilterCompiler``).

Jayway's stack machine is kept as is, quirks included: a ``!`` only negates an existence check
(``[?(!@.a)]``), and ``&&`` / ``||`` are combined right to left when a parenthesis closes
rather than by precedence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from podium.expr.lexing import (
    PathSyntaxError,
    char_at,
    matching_close,
    next_significant,
    next_unescaped,
    previous_significant,
    unescape_java,
)
from podium.expr.pathtokens import (
    CompiledPath,
    Const,
    Exists,
    Logical,
    Operand,
    PathOperand,
    Predicate,
    Relation,
)

__all__ = ["OPERATORS", "compile_filter"]

OPERATORS = frozenset(
    {"==", "===", "!=", "!==", "<", "<=", ">", ">=", "=~", "in", "nin", "contains", "all"}
    | {"size", "empty", "subsetof", "anyof", "noneof"}
)
_OPERATOR_CHARS = "<>=~!"
_NUMBER_CHARS = frozenset("0123456789-.Ee")
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE]-?\d+)?")
_SINGLE_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")

PathCompiler = Callable[[str], CompiledPath]


def compile_filter(criteria: str, compile_path: PathCompiler) -> Predicate:
    """Compile ``[?(<expression>)]``; ``compile_path`` compiles the ``@``/``$`` operands."""
    text = criteria.strip()
    if not (text.startswith("[") and text.endswith("]")):
        raise PathSyntaxError("filter must start with '[' and end with ']'")
    text = text[1:-1].strip()
    if not text.startswith("?"):
        raise PathSyntaxError("filter must start with '[?'")
    text = text[1:].strip()
    if not (text.startswith("(") and text.endswith(")")):
        raise PathSyntaxError("filter must start with '[?(' and end with ')]'")
    return _FilterParser(text, compile_path).parse()


def _reduce(expressions: list[Predicate], operators: list[str]) -> Predicate:
    if not expressions:
        raise PathSyntaxError("expected an expression")
    expression = expressions.pop()
    while operators:
        if not expressions:
            raise PathSyntaxError("expected an expression on the right hand side of an operator")
        expression = Logical(operators.pop(), expression, expressions.pop())
    return expression


class _FilterParser:
    def __init__(self, text: str, compile_path: PathCompiler) -> None:
        self.text = text
        self.pos = 0
        self.compile_path = compile_path

    def parse(self) -> Predicate:
        operators: list[str] = []
        expressions: list[Predicate] = []
        depth = 0
        while self._skip_blanks() < len(self.text):
            start, char = self.pos, self.text[self.pos]
            if char in "()!":
                self.pos += 1
                depth += {"(": 1, ")": -1}.get(char, 0)
                if char == ")":
                    expressions.append(_reduce(expressions, operators))
            elif char in "&|":
                operators.append(self._read_logical())
            else:
                expressions.append(self._read_expression())
            if self.pos <= start:
                raise PathSyntaxError(f"failed to parse filter {self.text!r}")
        if depth != 0 or not expressions:
            raise PathSyntaxError(f"unbalanced filter {self.text!r}")
        return expressions[-1]

    def _skip_blanks(self) -> int:
        self.pos = next_significant(self.text, self.pos)
        return self.pos

    def _read_logical(self) -> str:
        operator = self.text[self.pos : self.pos + 2]
        if operator not in ("&&", "||"):
            raise PathSyntaxError("expected '&&' or '||'")
        self.pos += 2
        return operator

    def _read_expression(self) -> Predicate:
        left, should_exist = self._read_value()
        if self._terminated():
            if not isinstance(left, PathOperand):
                raise PathSyntaxError("expected a path before the end of the expression")
            return Exists(left.path, should_exist)
        operator = self._read_operator()
        right, _ = self._read_value()
        return Relation(left, operator, right)

    def _terminated(self) -> bool:
        char = char_at(self.text, self.pos)
        if char in ("", ")", "&", "|"):
            return True
        return char_at(self.text, next_significant(self.text, self.pos + 1)) in (")", "&", "|")

    def _read_operator(self) -> str:
        begin = self._skip_blanks()
        if char_at(self.text, begin) in tuple(_OPERATOR_CHARS):
            while char_at(self.text, self.pos) in tuple(_OPERATOR_CHARS):
                self.pos += 1
        else:
            while self.pos < len(self.text) and self.text[self.pos] != " ":
                self.pos += 1
        operator = self.text[begin : self.pos].lower()
        if operator not in OPERATORS:
            raise PathSyntaxError(f"unsupported filter operator {operator!r}")
        return operator

    def _read_value(self) -> tuple[Operand, bool]:
        char = char_at(self.text, self._skip_blanks())
        if char in ("$", "@"):
            return self._read_path()
        return Const(self._read_literal(char)), True

    def _read_path(self) -> tuple[Operand, bool]:
        text, begin = self.text, self.pos
        should_exist = char_at(text, previous_significant(text, begin - 1)) != "!"
        self.pos += 1
        while self.pos < len(text):
            if text[self.pos] == "[":
                close = text.find("]", self.pos)
                if close == -1:
                    raise PathSyntaxError("square brackets do not match in filter")
                self.pos = close + 1
            char = char_at(text, self.pos)
            if char in ("", " ") or char in _OPERATOR_CHARS:
                break
            if char == ")" and not self._closes_function(begin):
                break
            self.pos += 1
        return PathOperand(self.compile_path(text[begin : self.pos])), should_exist

    def _closes_function(self, lower_bound: int) -> bool:
        index = previous_significant(self.text, self.pos - 1)
        if char_at(self.text, index) != "(":
            return False
        return "." in self.text[lower_bound + 1 : index]

    def _read_literal(self, char: str) -> Any:
        if char in ("'", '"'):
            return self._read_string(char)
        if char in ("[", "{"):
            return self._read_json(char)
        if char == "/":
            return self._read_pattern()
        for word, value in (("true", True), ("false", False), ("null", None)):
            if char == word[0]:
                return self._read_word(word, value)
        return self._read_number()

    def _read_string(self, quote: str) -> str:
        close = next_unescaped(self.text, self.pos, quote)
        if close == -1:
            raise PathSyntaxError(f"string not closed, expected {quote}")
        literal = self.text[self.pos + 1 : close]
        self.pos = close + 1
        return unescape_java(literal)

    def _read_json(self, opener: str) -> Any:
        close = matching_close(self.text, self.pos, "]" if opener == "[" else "}", skip_regex=False)
        if close == -1:
            raise PathSyntaxError(f"JSON literal not closed in {self.text!r}")
        literal = self.text[self.pos : close + 1]
        self.pos = close + 1
        return _parse_json_literal(literal)

    def _read_pattern(self) -> re.Pattern[str]:
        close = next_unescaped(self.text, self.pos, "/")
        if close == -1:
            raise PathSyntaxError("pattern not closed, expected '/'")
        flags = re.IGNORECASE if char_at(self.text, close + 1) == "i" else 0
        pattern = re.compile(self.text[self.pos + 1 : close], flags)
        self.pos = close + (2 if flags else 1)
        return pattern

    def _read_word(self, word: str, value: Any) -> Any:
        if not self.text.startswith(word, self.pos):
            raise PathSyntaxError(f"expected {word}")
        self.pos += len(word)
        return value

    def _read_number(self) -> int | float:
        begin = self.pos
        while char_at(self.text, self.pos) in _NUMBER_CHARS:
            self.pos += 1
        literal = self.text[begin : self.pos]
        if not _NUMBER.fullmatch(literal):
            raise PathSyntaxError(f"invalid number literal {literal!r}")
        return float(literal) if any(c in literal for c in ".eE") else int(literal)


def _parse_json_literal(literal: str) -> Any:
    """json-smart is permissive: accept single-quoted strings too."""
    try:
        return json.loads(literal)
    except ValueError:
        pass
    requoted = _SINGLE_QUOTED.sub(lambda m: json.dumps(unescape_java(m.group(1))), literal)
    try:
        return json.loads(requoted)
    except ValueError as exc:
        raise PathSyntaxError(f"invalid JSON literal {literal!r}") from exc
