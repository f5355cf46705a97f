"""Character-level helpers shared by the path and filter compilers (Jayway's ``CharacterIndex``)."""

from __future__ import annotations

import re

__all__ = [
    "PathSyntaxError",
    "char_at",
    "matching_close",
    "next_significant",
    "next_unescaped",
    "previous_significant",
    "unescape_java",
]

_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"r": "\r", "f": "\f", "t": "\t", "n": "\n", "b": "\b"}


class PathSyntaxError(ValueError):
    """The path or filter does not compile (Jayway's ``InvalidPathException``)."""


def char_at(text: str, index: int) -> str:
    """``text[index]``, or ``""`` when out of bounds."""
    return text[index] if 0 <= index < len(text) else ""


def next_significant(text: str, index: int) -> int:
    """First index at or after ``index`` that is not a space (``len(text)`` if none)."""
    while index < len(text) and text[index] == " ":
        index += 1
    return index


def previous_significant(text: str, index: int) -> int:
    """Last index at or before ``index`` that is not a space (-1 if none)."""
    while index >= 0 and text[index] == " ":
        index -= 1
    return index


def next_unescaped(text: str, start: int, char: str) -> int:
    """Index of the next ``char`` after ``start`` not escaped by a backslash, or -1."""
    escaped = False
    for index in range(start + 1, len(text)):
        if escaped:
            escaped = False
        elif text[index] == "\\":
            escaped = True
        elif text[index] == char:
            return index
    return -1


def matching_close(text: str, open_at: int, close: str, *, skip_regex: bool) -> int:
    """Index of the ``close`` balancing ``text[open_at]``, skipping quoted strings, or -1."""
    opener, depth, index = text[open_at], 1, open_at + 1
    while index < len(text):
        index = _skip_literal(text, index, "'\"/" if skip_regex else "'\"")
        char = char_at(text, index)
        if char == opener:
            depth += 1
        elif char == close:
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return -1


def _skip_literal(text: str, index: int, openers: str) -> int:
    while (char := char_at(text, index)) and char in openers:
        end = next_unescaped(text, index, text[index])
        if end == -1:
            raise PathSyntaxError(f"unclosed {text[index]} in {text!r}")
        index = end + 1
    return index


def unescape_java(text: str) -> str:
    """Jayway's ``Utils.unescape``: backslash escapes including ``\\uXXXX``."""
    return _ESCAPE.sub(_unescape_one, text)


def _unescape_one(match: re.Match[str]) -> str:
    escaped = match.group(1)
    if len(escaped) == 5:
        return chr(int(escaped[1:], 16))
    return _SIMPLE_ESCAPES.get(escaped, escaped)
