"""Turning request bodies into models, with Conductor's validation messages.

`parse_model` (and its shortcuts `parse_workflow_def`, `parse_task_def`) first checks the JSON
shape, reporting each pydantic error as a readable `Violation`, then runs the semantic checks that
Conductor's bean validation runs for that type. Every failure of a stage is collected and raised
once, as `ValidationFailed` (HTTP 400 with `validationErrors`).

A violation's path starts at the object's name, e.g. `workflowDef.tasks[0].taskReferenceName`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from podium.errors import BadRequest, ValidationFailed, Violation
from podium.model.definitions import TaskDef, WorkflowDef
from podium.model.events import EventHandler, event_handler_violations
from podium.model.requests import StartWorkflowRequest, TaskResult
from podium.model.validation_tasks import (
    TaskDefLookup,
    input_reference_violations,
    task_violations,
    walk_with_paths,
)

__all__ = [
    "TaskDefLookup",
    "parse_model",
    "parse_task_def",
    "parse_workflow_def",
    "validate_start_workflow_request",
    "validate_task_def",
    "validate_task_result",
    "validate_workflow_def",
    "violations_from_error",
]

M = TypeVar("M", bound=BaseModel)
Check = Callable[[Any, str, TaskDefLookup | None], list[Violation]]

_EXPECTED = {
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean",
    "string": "a string",
    "dict": "a JSON object",
    "model": "a JSON object",
    "list": "a JSON array",
}
# Tags of SubWorkflowParams.workflowDefinition's union: not part of the JSON path.
_UNION_TAGS = {"workflowDefinition": ("definition", "expression")}


def parse_model(
    model_cls: type[M],
    data: Any,
    path: str = "",
    *,
    get_task_def: TaskDefLookup | None = None,
) -> M:
    """Parse `data` (decoded JSON) into `model_cls` and run Conductor's checks for that type.

    `path` prefixes violation paths (default: the type's name, e.g. `workflowDef`); pass
    `workflowDefs[2]` and the like for list items. `get_task_def` lets the HTTP, KAFKA_PUBLISH and
    JSON_JQ_TRANSFORM rules see registered TaskDefs' inputTemplate (a dict's `.get` will do).
    Raises `ValidationFailed`, or `BadRequest` when `data` is not a JSON object.
    """
    root = path or model_cls.__name__[0].lower() + model_cls.__name__[1:]
    if isinstance(data, model_cls):
        obj = data
    elif isinstance(data, Mapping):
        try:
            obj = model_cls.model_validate(data)
        except ValidationError as exc:
            raise ValidationFailed(violations_from_error(exc, root)) from exc
    else:
        raise BadRequest(f"{root} must be a JSON object, not {_json_type(data)}")
    check = _CHECKS.get(model_cls)
    violations = check(obj, root, get_task_def) if check is not None else []
    if violations:
        raise ValidationFailed(violations)
    return obj


def parse_workflow_def(
    data: Any, path: str = "", *, get_task_def: TaskDefLookup | None = None
) -> WorkflowDef:
    """Parse and validate a WorkflowDef body (register, update, validate, embedded defs)."""
    return parse_model(WorkflowDef, data, path, get_task_def=get_task_def)


def parse_task_def(data: Any, path: str = "") -> TaskDef:
    """Parse and validate a TaskDef body."""
    return parse_model(TaskDef, data, path)


def validate_workflow_def(
    wf: WorkflowDef, *, path: str = "workflowDef", get_task_def: TaskDefLookup | None = None
) -> None:
    """Raise `ValidationFailed` with every violation of Conductor's WorkflowDef constraints."""
    _raise_if_any(_workflow_def_violations(wf, path, get_task_def))


def validate_task_def(td: TaskDef, *, path: str = "taskDef") -> None:
    """Raise `ValidationFailed` with every violation of Conductor's TaskDef constraints."""
    _raise_if_any(_task_def_violations(td, path, None))


def validate_start_workflow_request(
    request: StartWorkflowRequest,
    *,
    path: str = "startWorkflowRequest",
    get_task_def: TaskDefLookup | None = None,
) -> None:
    """Raise `ValidationFailed` unless the request names a workflow and its inline def is valid."""
    _raise_if_any(_start_request_violations(request, path, get_task_def))


def validate_task_result(result: TaskResult, *, path: str = "taskResult") -> None:
    """Raise `ValidationFailed` unless the result names its workflow and task."""
    _raise_if_any(_task_result_violations(result, path, None))


def _raise_if_any(violations: list[Violation]) -> None:
    if violations:
        raise ValidationFailed(violations)


def _workflow_def_violations(
    wf: WorkflowDef, path: str, get_task_def: TaskDefLookup | None
) -> list[Violation]:
    out: list[Violation] = []
    if not wf.name:
        out.append(Violation(f"{path}.name", "WorkflowDef name cannot be null or empty"))
    if not wf.tasks:
        out.append(Violation(f"{path}.tasks", "WorkflowTask list cannot be empty"))
    if wf.schemaVersion != 2:
        message = "workflowDef schemaVersion: 2 is only supported"
        out.append(Violation(f"{path}.schemaVersion", message, wf.schemaVersion))
    for task_path, task in walk_with_paths(wf.tasks, f"{path}.tasks"):
        out.extend(task_violations(task, task_path, get_task_def))
    out.extend(_duplicate_ref_violations(wf, path))
    out.extend(input_reference_violations(wf, path))
    return out


def _duplicate_ref_violations(wf: WorkflowDef, path: str) -> list[Violation]:
    seen: set[str] = set()
    out: list[Violation] = []
    for task in wf.all_tasks():
        ref = task.taskReferenceName
        if ref and ref in seen:
            message = (
                f"taskReferenceName: {ref} should be unique across tasks for a given "
                f"workflowDefinition: {wf.name}"
            )
            out.append(Violation(path, message, ref))
        seen.add(ref)
    return out


def _task_def_violations(td: TaskDef, path: str, _: TaskDefLookup | None) -> list[Violation]:
    out: list[Violation] = []

    def add(field: str, message: str, value: Any = None) -> None:
        out.append(Violation(f"{path}.{field}" if field else path, message, value))

    if not td.name:
        add("name", "TaskDef name cannot be null or empty")
    # Conductor's messages print the bound ("0"), not the value: kept as clients see them.
    if td.retryCount < 0:
        add("retryCount", "TaskDef retryCount: 0 must be >= 0", td.retryCount)
    if td.responseTimeoutSeconds < 1:
        response = td.responseTimeoutSeconds
        message = f"TaskDef responseTimeoutSeconds: {response} should be minimum 1 second"
        add("responseTimeoutSeconds", message, response)
    if td.pollTimeoutSeconds is not None and td.pollTimeoutSeconds < 0:
        add(
            "pollTimeoutSeconds",
            "TaskDef pollTimeoutSeconds: 0 must be >= 0",
            td.pollTimeoutSeconds,
        )
    if td.backoffScaleFactor < 1:
        message = "Backoff scale factor. Applicable for LINEAR_BACKOFF"
        add("backoffScaleFactor", message, td.backoffScaleFactor)
    for field in ("totalTimeoutSeconds", "maxRetryDelaySeconds", "backoffJitterMs"):
        value = getattr(td, field)
        if value < 0:
            add(field, f"TaskDef {field}: 0 must be >= 0", value)
    timeout, response, total = td.timeoutSeconds, td.responseTimeoutSeconds, td.totalTimeoutSeconds
    if timeout > 0 and response > timeout:
        message = (
            f"TaskDef: {td.name} responseTimeoutSeconds: {response} "
            f"must be less than timeoutSeconds: {timeout}"
        )
        add("", message)
    if timeout > 0 and total > 0 and timeout > total:
        message = (
            f"TaskDef: {td.name} timeoutSeconds: {timeout} "
            f"must be less than or equal to totalTimeoutSeconds: {total}"
        )
        add("", message)
    return out


def _start_request_violations(
    request: StartWorkflowRequest, path: str, get_task_def: TaskDefLookup | None
) -> list[Violation]:
    out: list[Violation] = []
    if not request.name:
        out.append(Violation(f"{path}.name", "Workflow name cannot be null or empty"))
    if request.workflowDef is not None:
        out.extend(
            _workflow_def_violations(request.workflowDef, f"{path}.workflowDef", get_task_def)
        )
    return out


def _task_result_violations(
    result: TaskResult, path: str, _: TaskDefLookup | None
) -> list[Violation]:
    out: list[Violation] = []
    if not result.workflowInstanceId:
        message = "Workflow Id cannot be null or empty"
        out.append(Violation(f"{path}.workflowInstanceId", message))
    if not result.taskId:
        out.append(Violation(f"{path}.taskId", "Task ID cannot be null or empty"))
    if result.status is None and not result.extendLease:
        out.append(Violation(f"{path}.status", "Task status cannot be null"))
    return out


_CHECKS: dict[type[BaseModel], Check] = {
    WorkflowDef: _workflow_def_violations,
    TaskDef: _task_def_violations,
    StartWorkflowRequest: _start_request_violations,
    TaskResult: _task_result_violations,
    EventHandler: event_handler_violations,
}


def violations_from_error(exc: ValidationError, path: str) -> list[Violation]:
    """One readable `Violation` per pydantic error, with a JSON path under `path`."""
    return [_violation(error, path) for error in exc.errors()]


def _violation(error: ErrorDetails, path: str) -> Violation:
    where = _json_path(error["loc"])
    full = f"{path}{where}" if where.startswith("[") else ".".join(p for p in (path, where) if p)
    value = error.get("input")
    scalar = value if isinstance(value, str | int | float | bool) else None
    return Violation(full, _message(error, where or path), scalar)


def _message(error: ErrorDetails, label: str) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind == "missing":
        return f"{label} cannot be null"
    if kind == "enum":
        return f"{label} must be one of {ctx.get('expected')} (got {_show(error.get('input'))})"
    expected = _EXPECTED.get(kind.split("_")[0])
    if expected is not None:
        return f"{label} must be {expected} (got {_show(error.get('input'))})"
    return f"{label}: {error['msg']}"


def _json_path(loc: tuple[int | str, ...]) -> str:
    text = ""
    previous: int | str | None = None
    for part in loc:
        if isinstance(previous, str) and part in _UNION_TAGS.get(previous, ()):
            previous = part
            continue
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
        previous = part
    return text.lstrip(".")


def _show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    return "a number" if isinstance(value, int | float) else type(value).__name__
