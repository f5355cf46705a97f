"""Conductor's checks of one WorkflowTask, and of the task references in input expressions.

Messages are Conductor's, typos included (`WorkflowTaskTypeConstraint`, `ConstraintParamUtil`), as
clients and tests match them. JavaScript in SWITCH `expression` and DECISION `caseExpression` is not
syntax-checked yet: Conductor compiles it here, Podium has no JS engine at this layer.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import Any

from podium.errors import Violation
from podium.model.definitions import TaskDef, WorkflowDef, WorkflowTask

__all__ = [
    "SYSTEM_PARAMETERS",
    "TaskDefLookup",
    "input_reference_violations",
    "task_violations",
    "walk_with_paths",
]

TaskDefLookup = Callable[[str], TaskDef | None]
"""Finds a registered TaskDef by name; HTTP, KAFKA_PUBLISH and JQ tasks may take input from it."""

SYSTEM_PARAMETERS = frozenset({"CPEWF_TASK_ID", "NETFLIX_ENV", "NETFLIX_STACK"})
"""Names that an expression may use as a whole (`${CPEWF_TASK_ID}`), besides `workflow` and refs."""

_REQUIRED = "{field} field is required for taskType: {type} taskName: {name}"
_AT_LEAST_ONE = "{field} should have atleast one task for taskType: {type} taskName: {name}"
_TERMINATION_STATUSES = frozenset({"COMPLETED", "FAILED", "TERMINATED"})
_DURATION = re.compile(
    r"\s*(?:(\d+)\s*(?:days?|d))?"
    r"\s*(?:(\d+)\s*(?:hours?|hrs?|h))?"
    r"\s*(?:(\d+)\s*(?:minutes?|mins?|m))?"
    r"\s*(?:(\d+)\s*(?:seconds?|secs?|s))?\s*",
    re.IGNORECASE,
)
# Conductor's WAIT `until` patterns: yyyy-MM-dd HH:mm, yyyy-MM-dd HH:mm z, yyyy-MM-dd.
_UNTIL = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?: \d{1,2}:\d{1,2}(?: \S+)?)?")

Rule = Callable[[WorkflowTask, TaskDefLookup | None], Iterator[str]]


def walk_with_paths(tasks: list[WorkflowTask], path: str) -> Iterator[tuple[str, WorkflowTask]]:
    """Every task with its violation path, in the order of `WorkflowDef.all_tasks()`."""
    for index, task in enumerate(tasks):
        here = f"{path}[{index}]"
        yield here, task
        for case, branch in task.decisionCases.items():
            yield from walk_with_paths(branch, f"{here}.decisionCases.{case}")
        yield from walk_with_paths(task.defaultCase, f"{here}.defaultCase")
        for number, fork in enumerate(task.forkTasks):
            yield from walk_with_paths(fork, f"{here}.forkTasks[{number}]")
        yield from walk_with_paths(task.loopOver, f"{here}.loopOver")


def task_violations(
    task: WorkflowTask, path: str, get_task_def: TaskDefLookup | None = None
) -> list[Violation]:
    """Conductor's constraints on one task (not its nested tasks): names, startDelay, type rules."""
    out: list[Violation] = []
    if not task.name:
        out.append(Violation(f"{path}.name", "WorkflowTask name cannot be empty or null"))
    if not task.taskReferenceName:
        message = "WorkflowTask taskReferenceName name cannot be empty or null"
        out.append(Violation(f"{path}.taskReferenceName", message))
    if task.startDelay < 0:
        message = "must be greater than or equal to 0"
        out.append(Violation(f"{path}.startDelay", message, task.startDelay))
    rule = _TYPE_RULES.get(task.type)
    if rule is not None:
        out.extend(Violation(path, message) for message in rule(task, get_task_def))
    return out


def _required(field: str, task: WorkflowTask, type_name: str | None = None) -> str:
    return _REQUIRED.format(field=field, type=type_name or task.type, name=task.name)


def _event(task: WorkflowTask, _: TaskDefLookup | None) -> Iterator[str]:
    if task.sink is None:
        yield _required("sink", task)


def _decision(task: WorkflowTask, _: TaskDefLookup | None) -> Iterator[str]:
    if task.caseValueParam is None and task.caseExpression is None:
        yield _required("caseValueParam or caseExpression", task)
    if not task.decisionCases:
        yield _AT_LEAST_ONE.format(field="decisionCases", type=task.type, name=task.name)


def _switch(task: WorkflowTask, _: TaskDefLookup | None) -> Iterator[str]:
    if task.evaluatorType is None:
        yield _required("evaluatorType", task)
    elif task.expression is None:
        yield _required("expression", task)
    if not task.decisionCases:
        yield _AT_LEAST_ONE.format(field="decisionCases", type=task.type, name=task.name)


def _dynamic(task: WorkflowTask, _: TaskDefLookup | None) -> Iterator[str]:
    if task.dynamicTaskNameParam is None:
        yield _required("dynamicTaskNameParam", task)


def _dynamic_fork(task: WorkflowTask, _: TaskDefLookup | None) -> Iterator[str]:
    pair = (task.dynamicForkTasksParam, task.dynamicForkTasksInputParamName)
    if task.dynamicForkJoinTasksParam is not None:
        if any(value is not None for value in pair):
            yield (
                "dynamicForkJoinTasksParam or combination of dynamicForkTasksInputParamName and "
                "dynamicForkTasksParam cam be used for taskType: FORK_JOIN_DYNAMIC "
                f"taskName: {task.name}"
            )
        return
    if "forkTaskInputs" in task.inputParameters:
        return  # the newer "same task for every input" mode needs neither param
    if task.dynamicForkTasksParam is None:
        yield _required("dynamicForkTasksParam", task)
    if task.dynamicForkTasksInputParamName is None:
        yield _required("dynamicForkTasksInputParamName", task)


def _template_has(task: WorkflowTask, key: str, get_task_def: TaskDefLookup | None) -> bool:
    task_def = task.taskDefinition
    if task_def is None and get_task_def is not None:
        task_def = get_task_def(task.name)
    return task_def is not None and key in task_def.inputTemplate


def _input_required(key: str) -> Rule:
    def rule(task: WorkflowTask, get_task_def: TaskDefLookup | None) -> Iterator[str]:
        if key not in task.inputParameters and not _template_has(task, key, get_task_def):
            yield _required(f"inputParameters.{key}", task)

    return rule


def _http(task: WorkflowTask, get_task_def: TaskDefLookup | None) -> Iterator[str]:
    # Newer Conductor also reads uri/method from the input root when there is no http_request.
    if "uri" in task.inputParameters or "method" in task.inputParameters:
        return
    yield from _input_required("http_request")(task, get_task_def)


def _fork_join(task: WorkflowTask, _: TaskDefLookup | None) -> Iterator[str]:
    if not task.forkTasks:
        yield _AT_LEAST_ONE.format(field="forkTasks", type=task.type, name=task.name)


def _terminate(task: WorkflowTask, _: TaskDefLookup | None) -> Iterator[str]:
    if task.optional:
        yield f"terminate task cannot be optional, taskName: {task.name}"
    status = task.inputParameters.get("terminationStatus")
    if status is None or str(status) not in _TERMINATION_STATUSES:
        yield (
            "terminate task must have an terminationStatus parameter and must be set to "
            f"COMPLETED or FAILED, taskName: {task.name}"
        )


def _loop(task: WorkflowTask, _: TaskDefLookup | None) -> Iterator[str]:
    # List iteration (`items`, or `_items` in the input) makes the loop condition optional.
    iterates = task.items is not None or "_items" in task.inputParameters
    if task.loopCondition is None and not iterates:
        yield _required("loopCondition", task)
    if not task.loopOver:
        yield _required("loopOver", task)


def _sub_workflow(task: WorkflowTask, _: TaskDefLookup | None) -> Iterator[str]:
    if task.subWorkflowParam is None:
        yield _required("subWorkflowParam", task)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _wait(task: WorkflowTask, _: TaskDefLookup | None) -> Iterator[str]:
    duration = _text(task.inputParameters.get("duration"))
    until = _text(task.inputParameters.get("until"))
    if duration.strip() and until.strip():
        yield "Both 'duration' and 'until' specified. Please provide only one input"
    # Only literal values are checked; an expression is resolved when the task is scheduled.
    if duration.strip() and not duration.startswith("${"):
        if not _DURATION.fullmatch(duration):
            yield "Either date or duration is passed as null "
    elif until.strip() and not until.startswith("${") and not _UNTIL.fullmatch(until.strip()):
        yield "Unable to parse date "


_TYPE_RULES: dict[str, Rule] = {
    "EVENT": _event,
    "DECISION": _decision,
    "SWITCH": _switch,
    "DYNAMIC": _dynamic,
    "FORK_JOIN_DYNAMIC": _dynamic_fork,
    "HTTP": _http,
    "FORK_JOIN": _fork_join,
    "TERMINATE": _terminate,
    "KAFKA_PUBLISH": _input_required("kafka_request"),
    "DO_WHILE": _loop,
    "WHILE": _loop,
    "SUB_WORKFLOW": _sub_workflow,
    "JSON_JQ_TRANSFORM": _input_required("queryExpression"),
    "WAIT": _wait,
}


def input_reference_violations(wf: WorkflowDef, path: str) -> list[Violation]:
    """Expressions in top-level tasks' inputParameters must start at `workflow` or a known ref."""
    refs = {task.taskReferenceName for task in wf.all_tasks()}
    out: list[Violation] = []
    for index, task in enumerate(wf.tasks):
        for key, value in _string_params(task.inputParameters):
            for first in _unknown_roots(value, refs):
                message = (
                    f"taskReferenceName: {first} for given task: {task.name} input value: {key} "
                    f"of input parameter: {value} is not defined in workflow definition."
                )
                out.append(Violation(f"{path}.tasks[{index}].inputParameters", message, value))
    return out


def _string_params(params: dict[str, Any]) -> Iterator[tuple[str, str]]:
    # The key reported is the innermost map key; list items keep the key of their list.
    for key, value in params.items():
        yield from _strings(key, value)


def _strings(key: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        yield from _string_params(value)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(key, item)


def _unknown_roots(text: str, refs: set[str]) -> Iterator[str]:
    for expression in _expressions(text):
        body = expression.strip()
        if "${" in body or body in SYSTEM_PARAMETERS or body in os.environ:
            continue  # nested expressions are resolved at run time; names are env lookups
        first = re.split(r"[.\[]", body, maxsplit=1)[0].strip()
        if first and first != "workflow" and first not in refs:
            yield first


def _expressions(text: str) -> Iterator[str]:
    """The bodies of the outermost `${...}` in a string; `$${` is an escape, not an expression."""
    start = text.find("${")
    while start != -1:
        if start > 0 and text[start - 1] == "$":
            start = text.find("${", start + 2)
            continue
        end = _closing_brace(text, start + 2)
        if end == -1:
            return
        yield text[start + 2 : end]
        start = text.find("${", end + 1)


def _closing_brace(text: str, index: int) -> int:
    depth = 1
    while index < len(text):
        if text.startswith("${", index):
            depth += 1
            index += 2
            continue
        if text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return -1
