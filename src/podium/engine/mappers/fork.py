"""Fan out and back in: FORK_JOIN, FORK_JOIN_DYNAMIC, JOIN, EXCLUSIVE_JOIN."""

from __future__ import annotations

from typing import Any

from podium.engine.mappers.base import Mapper, Run
from podium.engine.mappers.control import UnsupportedTask, fail, first_unskipped, succeed
from podium.engine.plan import Node
from podium.model.executions import Task
from podium.model.statuses import TaskStatus

__all__ = ["DynamicForkMapper", "ExclusiveJoinMapper", "ForkMapper", "JoinMapper"]


def _join_ref(run: Run, node: Node) -> str:
    nxt = node.next
    join = run.plan.node(nxt) if nxt else None
    if join is None or join.wt.type != "JOIN":
        raise UnsupportedTask("Fork task definition is not followed by a join task")
    return join.wt.taskReferenceName


class ForkMapper(Mapper):
    """A FORK task completes at once; the first task of each branch and the JOIN follow."""

    task_type = "FORK"
    depth_first = True

    def on_create(self, run: Run, node: Node, task: Task) -> None:
        _join_ref(run, node)
        succeed(run, task, {})

    def after_success(self, run: Run, node: Node, task: Task) -> bool:
        for branch in node.wt.forkTasks or []:
            first = first_unskipped(run, branch)
            if first is not None:
                run.schedule(first, iteration=task.iteration)
        run.schedule(_join_ref(run, node), iteration=task.iteration)
        return True


class DynamicForkMapper(Mapper):
    """FORK_JOIN_DYNAMIC: the branches come from the task input (three input modes)."""

    task_type = "FORK"
    depth_first = True

    def on_create(self, run: Run, node: Node, task: Task) -> None:
        _join_ref(run, node)
        try:
            forked = _dynamic_tasks(node, task)
        except ValueError as exc:
            raise UnsupportedTask(f"Dynamic fork failed: {exc}") from exc
        task.inputData = {
            **task.inputData,
            "forkedTasks": [wt["taskReferenceName"] for wt in forked],
            "forkedTaskDefs": forked,
        }
        succeed(run, task, {})

    def after_success(self, run: Run, node: Node, task: Task) -> bool:
        forked: list[dict[str, Any]] = task.inputData.get("forkedTaskDefs") or []
        for wt in forked:
            run.schedule_dynamic(wt, iteration=task.iteration)
        join = run.schedule(_join_ref(run, node), iteration=task.iteration)
        join.inputData = {**join.inputData, "joinOn": [wt["taskReferenceName"] for wt in forked]}
        return True


def _dynamic_tasks(node: Node, task: Task) -> list[dict[str, Any]]:
    wt, data = node.wt, task.inputData
    if wt.dynamicForkTasksParam:
        tasks = data.get(wt.dynamicForkTasksParam) or []
        inputs = data.get(wt.dynamicForkTasksInputParamName or "") or {}
        if not isinstance(tasks, list) or not isinstance(inputs, dict):
            raise ValueError("dynamic tasks must be a list and their inputs a map")
        return [_with_input(t, inputs.get(t.get("taskReferenceName"))) for t in tasks]
    if wt.dynamicForkJoinTasksParam:
        spec = data.get(wt.dynamicForkJoinTasksParam) or {}
        return [
            {
                "name": t.get("taskName"),
                "taskReferenceName": t.get("referenceName"),
                "type": t.get("type") or "SIMPLE",
                "inputParameters": t.get("input") or {},
            }
            for t in (spec.get("dynamicTasks") or [])
        ]
    return _simple_mode(node, task)


def _simple_mode(node: Node, task: Task) -> list[dict[str, Any]]:
    data = task.inputData
    name = data.get("forkTaskName") or data.get("forkTaskWorkflow")
    inputs = data.get("forkTaskInputs") or []
    if not name or not isinstance(inputs, list):
        raise ValueError("forkTaskName (or forkTaskWorkflow) and a forkTaskInputs list are needed")
    kind = data.get("forkTaskType") or (
        "SUB_WORKFLOW" if data.get("forkTaskWorkflow") else "SIMPLE"
    )
    out = []
    for i, item in enumerate(inputs):
        entry: dict[str, Any] = {
            "name": name,
            "taskReferenceName": f"_{name}_{i}",
            "type": kind,
            "optional": node.wt.optional,
            "inputParameters": {**(item if isinstance(item, dict) else {"input": item}),
                                "__index": i},
        }  # fmt: skip
        if kind == "SUB_WORKFLOW":
            entry["subWorkflowParam"] = {
                "name": name,
                "version": data.get("forkTaskWorkflowVersion"),
            }
        out.append(entry)
    return out


def _with_input(wt: Any, given: Any) -> dict[str, Any]:
    if not isinstance(wt, dict) or not wt.get("taskReferenceName"):
        raise ValueError("each dynamic task needs a taskReferenceName")
    params = {**(wt.get("inputParameters") or {}), **(given if isinstance(given, dict) else {})}
    return {"type": "SIMPLE", **wt, "inputParameters": params}


def _other_iteration(join: Task, joined: Task) -> bool:
    """Inside a loop a JOIN waits for this iteration's branch tasks (a loop's own counter,
    kept in `iteration` too, is not an iteration of the join's loop)."""
    return (
        bool(join.iteration)
        and joined.taskType != "DO_WHILE"
        and (joined.iteration != join.iteration)
    )


def _flag(task: Task, name: str) -> bool:
    return bool((task.workflowTask or {}).get(name))


class JoinMapper(Mapper):
    """Waits for every joined task; fails at once on a hard failure (Conductor 4, JOIN)."""

    deferred = True

    def on_create(self, run: Run, node: Node, task: Task) -> None:
        if "joinOn" not in task.inputData:
            task.inputData = {**task.inputData, "joinOn": list(node.wt.joinOn or [])}
        run.set_status(task, TaskStatus.IN_PROGRESS)

    def execute(self, run: Run, node: Node, task: Task) -> None:
        refs: list[str] = list(task.inputData.get("joinOn") or [])
        run.index.require(refs)
        joined, waiting = [], False
        for ref in refs:
            found = run.index.latest(ref)
            if found is None or _other_iteration(task, found):
                waiting = True
            else:
                joined.append(found)
        failed = [t for t in joined if t.status.terminal and not t.status.successful]
        hard = [t for t in failed if not _flag(t, "optional") and not _flag(t, "permissive")]
        if hard:
            self._fail(run, task, hard)
            return
        if waiting or any(not t.status.terminal for t in joined):
            return
        if failed:
            self._fail(run, task, failed)
            return
        with_errors = any(t.status is TaskStatus.COMPLETED_WITH_ERRORS for t in joined)
        task.outputData = {t.referenceTaskName: t.outputData for t in joined if t.outputData}
        status = TaskStatus.COMPLETED_WITH_ERRORS if with_errors else TaskStatus.COMPLETED
        run.set_status(task, status)

    def _fail(self, run: Run, task: Task, failed: list[Task]) -> None:
        cancelled = all(t.status is TaskStatus.CANCELED for t in failed)
        reason = " ".join(t.reasonForIncompletion or "" for t in failed).strip()
        run.set_status(task, TaskStatus.CANCELED if cancelled else TaskStatus.FAILED, reason)


class ExclusiveJoinMapper(Mapper):
    """Follows the one branch that ran: the first joined task that exists decides."""

    deferred = True

    def on_create(self, run: Run, node: Node, task: Task) -> None:
        run.set_status(task, TaskStatus.IN_PROGRESS)

    def execute(self, run: Run, node: Node, task: Task) -> None:
        for refs in (node.wt.joinOn or [], node.wt.defaultExclusiveJoinTask or []):
            run.index.require(refs)
            for ref in refs:
                found = run.index.latest(ref)
                if found is None or found.status is TaskStatus.SKIPPED:
                    continue
                if not found.status.terminal:
                    return
                if found.status.successful:
                    succeed(run, task, dict(found.outputData))
                else:
                    fail(run, task, found.reasonForIncompletion or f"{ref} failed")
                return
