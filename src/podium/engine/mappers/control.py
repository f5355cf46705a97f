"""Control flow run inline by the decider: SWITCH, DECISION, NOOP, SET_VARIABLE, TERMINATE."""

from __future__ import annotations

from typing import Any

import orjson

from podium.engine.mappers.base import Mapper, Run
from podium.engine.plan import Node
from podium.expr.javastr import java_str
from podium.model.definitions import WorkflowTask
from podium.model.executions import Task
from podium.model.statuses import TaskStatus, WorkflowStatus

__all__ = [
    "DecisionMapper",
    "NoopMapper",
    "SetVariableMapper",
    "SwitchMapper",
    "TerminateMapper",
    "UnsupportedTask",
    "succeed",
]

MAX_VARIABLES_BYTES = 256 * 1024


class UnsupportedTask(Exception):
    """A task the engine cannot schedule: the workflow fails with this message."""


def succeed(run: Run, task: Task, output: dict[str, Any] | None = None) -> None:
    """Complete a task run inline, with its output."""
    if output is not None:
        task.outputData = output
    run.set_status(task, TaskStatus.COMPLETED)


def fail(run: Run, task: Task, reason: str, *, terminal: bool = False) -> None:
    status = TaskStatus.FAILED_WITH_TERMINAL_ERROR if terminal else TaskStatus.FAILED
    run.set_status(task, status, reason)


def case_text(value: Any) -> str:
    """A case value as Conductor compares it: Java's String.valueOf."""
    return "null" if value is None else java_str(value)


def first_unskipped(run: Run, branch: list[WorkflowTask]) -> str | None:
    """The first task of a branch that the skiptask operation has not marked skipped."""
    for wt in branch:
        if wt.taskReferenceName not in run.wf.skippedRefs:
            return wt.taskReferenceName
    return None


def schedule_branch(run: Run, branch: list[WorkflowTask], task: Task) -> bool:
    """Start a branch with its first (unskipped) task; False when there is none."""
    first = first_unskipped(run, branch)
    if first is None:
        return False
    run.schedule(first, iteration=task.iteration)
    return True


class SwitchMapper(Mapper):
    """Evaluate the case at schedule time; run the matching branch (default when absent)."""

    depth_first = True

    def on_create(self, run: Run, node: Node, task: Task) -> None:
        wt = node.wt
        evaluator = (wt.evaluatorType or "value-param").lower()
        try:
            if evaluator == "value-param":
                case = case_text(task.inputData.get(wt.expression or ""))
            else:
                from podium.expr.javascript import ScriptError, evaluate

                try:
                    case = case_text(evaluate(wt.expression or "", task.inputData))
                except ScriptError as exc:
                    fail(run, task, exc.message)
                    return
        except (TypeError, ValueError) as exc:
            fail(run, task, f"Unable to evaluate the switch case: {exc}")
            return
        task.inputData = {**task.inputData, "case": case}
        succeed(run, task, {"evaluationResult": [case], "selectedCase": case})

    def after_success(self, run: Run, node: Node, task: Task) -> bool:
        case = str(task.outputData.get("selectedCase"))
        cases = node.wt.decisionCases or {}
        branch = cases.get(case, node.wt.defaultCase or [])
        return schedule_branch(run, branch, task)


class DecisionMapper(Mapper):
    """The legacy DECISION: caseValueParam or a JavaScript caseExpression."""

    depth_first = True

    def on_create(self, run: Run, node: Node, task: Task) -> None:
        wt = node.wt
        if wt.caseExpression:
            from podium.expr.javascript import ScriptError, evaluate

            try:
                case = case_text(evaluate(wt.caseExpression, task.inputData))
            except ScriptError as exc:
                raise UnsupportedTask(
                    f"Error while evaluating the decision: {exc.message}"
                ) from exc
        else:
            case = case_text(task.inputData.get(wt.caseValueParam or ""))
        task.inputData = {**task.inputData, "case": case}
        succeed(run, task, {"caseOutput": [case]})

    def after_success(self, run: Run, node: Node, task: Task) -> bool:
        case = str((task.outputData.get("caseOutput") or ["null"])[0])
        branch = (node.wt.decisionCases or {}).get(case) or node.wt.defaultCase or []
        return schedule_branch(run, branch, task)


class NoopMapper(Mapper):
    def on_create(self, run: Run, node: Node, task: Task) -> None:
        succeed(run, task, {})


class SetVariableMapper(Mapper):
    """Copy every input key into `workflow.variables` (refused above 256 KB)."""

    def on_create(self, run: Run, node: Node, task: Task) -> None:
        variables = {**run.wf.variables, **task.inputData}
        size = len(orjson.dumps(variables))
        if size > MAX_VARIABLES_BYTES:
            fail(
                run,
                task,
                f"The variables payload size: {size} of workflow: {run.wf.workflowId} is "
                f"greater than the permissible limit: {MAX_VARIABLES_BYTES // 1024} KB",
                terminal=True,
            )
            return
        run.wf.variables = variables
        succeed(run, task, {})


_TERMINATION = {s.value: s for s in (WorkflowStatus.COMPLETED, WorkflowStatus.FAILED,
                                     WorkflowStatus.TERMINATED)}  # fmt: skip


class TerminateMapper(Mapper):
    """End the workflow with `terminationStatus`; its `workflowOutput` becomes the output."""

    def on_create(self, run: Run, node: Node, task: Task) -> None:
        wanted = str(task.inputData.get("terminationStatus"))
        if wanted not in _TERMINATION:
            fail(
                run, task, f"Invalid terminationStatus: {wanted} (COMPLETED, FAILED or TERMINATED)"
            )
            return
        output = task.inputData.get("workflowOutput")
        if output is None:
            output = {}
        succeed(run, task, output if isinstance(output, dict) else {"output": output})

    def after_success(self, run: Run, node: Node, task: Task) -> bool:
        status = _TERMINATION[str(task.inputData.get("terminationStatus"))]
        reason = task.inputData.get("terminationReason") or (
            f"Workflow is {status.value} by TERMINATE task: {task.taskId}"
        )
        if status is not WorkflowStatus.COMPLETED:
            run.wf.failedTaskId = task.taskId
        run.end(status, str(reason), output=dict(task.outputData))
        return True
