"""Resolve ``${...}`` expressions in task input / workflow output parameters.

Mirrors Conductor's ``ParametersUtils.replace`` / ``replaceVariables``: strings are scanned,
maps and lists walked, other values kept. A string that is exactly one expression takes the
value with its type; otherwise each expression is spliced in as Java would print it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

from podium.expr.javastr import java_str, json_smart_str
from podium.expr.jsonpath import path_roots, read_json, read_path_detailed
from podium.expr.scan import Expr, find_expressions, unescape

__all__ = [
    "ENV_PREFIX",
    "ENV_VAR_PREFIX",
    "SECRETS_PREFIX",
    "java_str",
    "referenced_roots",
    "resolve_params",
    "resolve_value",
]

SECRETS_PREFIX = "workflow.secrets."
"""Secrets are resolved at task hand-off, not here: the literal ``${...}`` is kept."""
ENV_PREFIX = "workflow.env."
ENV_VAR_PREFIX = "CONDUCTOR_ENV_"
"""``${workflow.env.NAME}`` reads the environment variable ``CONDUCTOR_ENV_NAME``."""
_TASK_ID = "CPEWF_TASK_ID"
_SYSTEM_PARAMETERS = frozenset({_TASK_ID, "NETFLIX_ENV", "NETFLIX_STACK"})
_NO_ENV: Mapping[str, str] = MappingProxyType({})
_STATIC_HEAD = re.compile(r"([^.\[\]\s$@*()'\"]+)[.\[]")
_ROOTS_CACHE_LIMIT = 512


def resolve_params(
    params: Mapping[str, Any],
    doc: Mapping[str, Any],
    *,
    task_id: str | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Resolve a ``WorkflowTask.inputParameters`` / ``WorkflowDef.outputParameters`` map.

    ``doc`` holds the roots ``workflow`` and one entry per task reference name; it is only read
    through ``doc.get(<root>)`` for ordinary paths. ``task_id`` answers ``${CPEWF_TASK_ID}``;
    ``env`` answers ``${workflow.env.X}`` and ``${NAME}`` (pass ``os.environ`` to expose the
    process environment). Returns new containers; the inputs are not modified.
    """
    context = _Context(doc, task_id, _NO_ENV if env is None else env)
    return {key: _resolve(value, context) for key, value in params.items()}


def resolve_value(
    value: Any,
    doc: Mapping[str, Any],
    *,
    task_id: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Any:
    """Resolve one value (string, map, list or scalar) as :func:`resolve_params` does."""
    return _resolve(value, _Context(doc, task_id, _NO_ENV if env is None else env))


def referenced_roots(value: Any) -> set[str]:
    """First path segment of every ``${...}`` inside ``value`` (maps and lists are walked).

    ``{"a": "${t1.output.x}", "b": "x ${workflow.input.y}"}`` -> ``{"t1", "workflow"}``.
    ``"*"`` is included when a root cannot be known statically: a nested expression inside
    the first segment (``${${workflow.input.ref}.output}``) or a path rooted at ``$``, ``..``
    or ``*``. Names that never read the document (secrets, ``workflow.env``, blank
    expressions, ``CPEWF_TASK_ID``) add nothing; an environment-variable name may be listed.
    """
    roots: set[str] = set()
    _collect_roots(value, roots)
    return roots


@dataclass(frozen=True, slots=True)
class _Context:
    doc: Mapping[str, Any]
    task_id: str | None
    env: Mapping[str, str]


class _Replacement(NamedTuple):
    start: int
    end: int
    value: Any
    json_form: bool  # Jayway built the value: its lists and maps print as JSON


def _resolve(value: Any, context: _Context) -> Any:
    if isinstance(value, str):
        return _resolve_string(value, context)
    if isinstance(value, Mapping):
        return {key: _resolve(item, context) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_resolve(item, context) for item in value]
    return value


def _resolve_string(text: str, context: _Context) -> Any:
    if "${" not in text:
        return text
    replacements = _replacements(text, context)
    if len(replacements) == 1 and replacements[0][:2] == (0, len(text)):
        return replacements[0].value
    return _splice(text, replacements)


def _interpolate(text: str, context: _Context) -> str:
    """Resolve a nested expression body: always a string."""
    if "${" not in text:
        return text
    return _splice(text, _replacements(text, context))


def _splice(text: str, replacements: list[_Replacement]) -> str:
    parts: list[str] = []
    last = 0
    for replacement in replacements:
        parts += (text[last : replacement.start], _printed(replacement))
        last = replacement.end
    parts.append(text[last:])
    return unescape("".join(parts))


def _printed(replacement: _Replacement) -> str:
    value = replacement.value
    if replacement.json_form and isinstance(value, list | tuple | Mapping):
        return json_smart_str(value)
    return java_str(value)


def _replacements(text: str, context: _Context) -> list[_Replacement]:
    found = (_evaluate(expr, text, context) for expr in find_expressions(text))
    return [replacement for replacement in found if replacement is not None]


def _evaluate(expr: Expr, text: str, context: _Context) -> _Replacement | None:
    """The replacement for one expression, or None to leave it as written."""
    path = _interpolate(expr.body, context)
    if not path.strip():
        return _Replacement(expr.start, expr.end, "", False)
    if path.startswith(SECRETS_PREFIX):
        return _Replacement(expr.start, expr.end, text[expr.start : expr.end], False)
    if path.startswith(ENV_PREFIX):
        value = _env_value(path[len(ENV_PREFIX) :], context.env)
        return _Replacement(expr.start, expr.end, value, True)
    if path in _SYSTEM_PARAMETERS or ("." not in path and path in context.env):
        system = context.task_id if path == _TASK_ID else context.env.get(path)
        return None if system is None else _Replacement(expr.start, expr.end, system, False)
    value, indefinite = read_path_detailed(context.doc, path)
    return _Replacement(expr.start, expr.end, value, indefinite)


def _env_value(reference: str, env: Mapping[str, str]) -> Any:
    """``NAME`` -> the variable; ``NAME.a.b`` -> path ``a.b`` of the variable parsed as JSON."""
    name, dot, json_path = reference.partition(".")
    raw = env.get(ENV_VAR_PREFIX + name)
    if not dot or raw is None:
        return raw
    try:
        parsed = json.loads(raw)
    except ValueError:
        return None
    return read_json(parsed, json_path)


def _collect_roots(value: Any, roots: set[str]) -> None:
    if isinstance(value, str):
        if "${" in value:
            roots |= _string_roots(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            _collect_roots(item, roots)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect_roots(item, roots)


def _string_roots(text: str) -> frozenset[str]:
    if len(text) > _ROOTS_CACHE_LIMIT:
        return _scan_roots(text)
    return _scan_roots_cached(text)


@functools.lru_cache(maxsize=4096)
def _scan_roots_cached(text: str) -> frozenset[str]:
    return _scan_roots(text)


def _scan_roots(text: str) -> frozenset[str]:
    roots: set[str] = set()
    for expr in find_expressions(text):
        roots |= _string_roots(expr.body)
        roots |= _expression_roots(expr.body)
    return frozenset(roots)


def _expression_roots(body: str) -> frozenset[str]:
    inner = find_expressions(body)
    if inner:
        head = _STATIC_HEAD.match(body[: inner[0].start])
        return frozenset({head.group(1) if head else "*"})
    path = unescape(body)
    if not path.strip() or path in _SYSTEM_PARAMETERS:
        return frozenset()
    if path.startswith((SECRETS_PREFIX, ENV_PREFIX)):
        return frozenset()
    return path_roots(path)
