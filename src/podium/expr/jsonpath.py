"""Read Jayway-style JsonPath expressions out of the expression document.

Conductor evaluates ``documentContext.read(path)`` with ``Option.SUPPRESS_EXCEPTIONS``: a
missing definite path reads as null, an indefinite one (wildcard, filter, deep scan, several
indexes or names) as a list, possibly empty, and a path that does not compile as null.

The document may be a lazy Mapping (task outputs loaded on demand). A path starting with a
name (``t1.output.x``) touches it only through ``doc.get("t1")``; only paths rooted at a
wildcard or a deep scan (``*``, ``..x``, ``$[...]``) read all of it. Exceptions raised by the
document itself always propagate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podium.expr.pathcompile import compile_path
from podium.expr.patheval import evaluate
from podium.expr.pathfuncs import is_list, is_map
from podium.expr.pathtokens import CompiledPath

__all__ = ["path_roots", "read_json", "read_path", "read_path_detailed"]


def read_path(doc: Mapping[str, Any], path: str) -> Any:
    """Evaluate a JsonPath written without the leading ``$.`` against ``doc``.

    ``'workflow.input.x'``, ``'t1.output.items[0].id'``, ``"t1.output['weird.key']"``,
    ``'t1.output.list[*].name'``, ``'t1.output.list[?(@.a > 1)]'``, ``'t1.output.list.length()'``.
    Missing or invalid -> None; indefinite paths -> list. Only ``doc.get(<first segment>)`` is
    called, except for paths rooted at ``*`` / ``..`` / ``$[...]`` which read the whole mapping.
    """
    return read_path_detailed(doc, path)[0]


def read_path_detailed(doc: Mapping[str, Any], path: str) -> tuple[Any, bool]:
    """Like :func:`read_path`, also saying whether the path was indefinite.

    Jayway returns indefinite results in a json-smart list, whose ``toString`` is JSON: the
    interpolation code needs to know.
    """
    compiled = compile_path(path)
    if compiled is None:
        return None, False
    if compiled.keys is not None and compiled.root is not None:
        return _follow(doc.get(compiled.root), compiled.keys), False
    return _collect(compiled, _DocReader(doc))


def read_json(value: Any, path: str) -> Any:
    """Evaluate ``path`` against any JSON value (the root may be a list or a scalar)."""
    compiled = compile_path(path)
    if compiled is None:
        return None
    return _collect(compiled, _ValueReader(value))[0]


def path_roots(path: str) -> frozenset[str]:
    """Document keys a read of ``path`` may touch; ``"*"`` means the whole document."""
    compiled = compile_path(path)
    return compiled.roots if compiled is not None else frozenset()


def _follow(node: Any, keys: tuple[str | int, ...]) -> Any:
    """The fast path: plain keys and indexes, no allocation."""
    for key in keys:
        if isinstance(key, str):
            if not is_map(node):
                return None
            node = node.get(key)
        else:
            if not is_list(node):
                return None
            index = key + len(node) if key < 0 else key
            if not 0 <= index < len(node):
                return None
            node = node[index]
    return node


class _ValueReader:
    def __init__(self, value: Any) -> None:
        self.value = value
        self.doc_error: Exception | None = None

    def results(self, path: CompiledPath) -> list[Any]:
        return evaluate(path.tokens, self.value, self.results, inverted=path.inverted)


class _DocReader:
    """Reads paths from the document, remembering a failure of the document itself."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc
        self.doc_error: Exception | None = None
        self._whole: dict[str, Any] | None = None

    def results(self, path: CompiledPath) -> list[Any]:
        if path.root is not None:
            return evaluate(path.steps, self._get(path.root), self.results)
        return evaluate(path.tokens, self._materialise(), self.results, inverted=path.inverted)

    def _get(self, key: str) -> Any:
        try:
            return self.doc.get(key)
        except Exception as exc:
            self.doc_error = exc
            raise

    def _materialise(self) -> dict[str, Any]:
        if self._whole is None:
            try:
                self._whole = dict(self.doc)
            except Exception as exc:
                self.doc_error = exc
                raise
        return self._whole


def _collect(compiled: CompiledPath, reader: _DocReader | _ValueReader) -> tuple[Any, bool]:
    try:
        found: list[Any] | None = reader.results(compiled)
    except Exception as exc:
        if exc is reader.doc_error:
            raise
        found = None  # Jayway errors are suppressed, as with Option.SUPPRESS_EXCEPTIONS
    if compiled.definite:
        return (found[0] if found else None), False
    return (found if found is not None else []), True
