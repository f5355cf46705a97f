"""Find the ``${...}`` expressions of a string the way Conductor's ``ParametersUtils.PATTERN`` does.

An expression starts at ``${`` not preceded by ``$`` (``$${`` escapes it) and ends at the ``}``
that balances every ``{`` opened after it, so ``${a.${b}}`` is one expression whose body holds
another. A ``${`` with no balancing ``}`` is left as text; scanning resumes right after it.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

__all__ = ["Expr", "find_expressions", "unescape"]

_BRACES = re.compile(r"[{}]")
_CACHE_LIMIT = 512  # longer strings are scanned each time instead of pinning them in the cache


class Expr(NamedTuple):
    """One top-level ``${...}``: ``text[start:end]`` is the whole match, ``body`` what is inside."""

    start: int
    end: int
    body: str


def find_expressions(text: str) -> tuple[Expr, ...]:
    """Return the top-level expressions of ``text``, left to right."""
    if "${" not in text:
        return ()
    if len(text) > _CACHE_LIMIT:
        return _scan(text)
    return _scan_cached(text)


def unescape(text: str) -> str:
    """Apply Conductor's final ``$${`` -> ``${`` rewrite."""
    return text.replace("$${", "${")


@functools.lru_cache(maxsize=4096)
def _scan_cached(text: str) -> tuple[Expr, ...]:
    return _scan(text)


def _scan(text: str) -> tuple[Expr, ...]:
    found: list[Expr] = []
    start = text.find("${")
    while start != -1:
        end = -1 if start > 0 and text[start - 1] == "$" else _closing_brace(text, start + 1)
        if end == -1:
            start = text.find("${", start + 1)
            continue
        found.append(Expr(start, end + 1, text[start + 2 : end]))
        start = text.find("${", end + 1)
    return tuple(found)


def _closing_brace(text: str, open_at: int) -> int:
    """Index of the ``}`` balancing the ``{`` at ``open_at``, or -1."""
    depth = 0
    for match in _BRACES.finditer(text, open_at):
        depth += 1 if match.group() == "{" else -1
        if depth == 0:
            return match.start()
    return -1
