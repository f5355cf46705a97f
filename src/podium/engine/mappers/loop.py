"""DO_WHILE: run the body once per iteration (refs suffixed `__<n>`) while the condition holds."""

from __future__ import annotations

from typing import Any

from podium.engine.mappers.base import Mapper, Run
from podium.engine.mappers.control import fail, succeed
from podium.engine.plan import Node
from podium.model.executions import Task
from podium.model.statuses import TaskStatus

__all__ = ["LoopMapper", "loop_output"]


def _state(output: dict[str, Any]) -> dict[str, Any]:
    """What a running loop keeps in its own row: its counters, not every iteration's outputs.

    The per-iteration outputs live in the body tasks; keeping them here too would make every
    decision of a long loop read and write an ever larger row (invariant 6 of the design).
    """
    return {k: v for k, v in output.items() if not k.isdigit()}


def loop_output(loop: Task, body_refs: list[str], tasks: list[Task]) -> dict[str, Any]:
    """Conductor's DO_WHILE output: `{"<n>": {bodyRef: output}}` from the body tasks."""
    wanted = set(body_refs)
    by_iteration: dict[int, dict[str, Any]] = {}
    for task in sorted(tasks, key=lambda t: t.seq):
        if task.iteration > 0 and task.ref_base in wanted and task.status.successful:
            by_iteration.setdefault(task.iteration, {})[task.ref_base] = task.outputData
    out: dict[str, Any] = {str(i): outputs for i, outputs in sorted(by_iteration.items())}
    return {**out, **_state(loop.outputData)}


def _items(node: Node, task: Task) -> list[Any] | None:
    """The list of list mode (the `items` field, or `_items` in inputParameters), else None."""
    if node.wt.items is None and "_items" not in task.inputData:
        return None
    value = task.inputData.get("_items") if node.wt.items is None else task.inputData.get("items")
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


class LoopMapper(Mapper):
    """The loop task stays IN_PROGRESS; its body's end calls `iteration_done`."""

    def on_create(self, run: Run, node: Node, task: Task) -> None:
        if node.wt.items is not None:  # the list to iterate is resolved once, at the start
            task.inputData = {**task.inputData, "items": run.resolve(node.wt.items)}
        # The first iteration starts when the loop is first executed, after whatever is
        # being scheduled with it (a fork's other branches), as in Conductor.
        run.set_status(task, TaskStatus.IN_PROGRESS)

    def execute(self, run: Run, node: Node, task: Task) -> None:
        if task.iteration > 0:
            return  # running: the body's end calls iteration_done
        items = _items(node, task)
        if items is not None and not items:
            succeed(run, task, {"iteration": 0})
            return
        task.iteration = 1
        task.outputData = {"iteration": 1}
        if items is not None:
            task.outputData.update(loopIndex=0, loopItem=items[0])
        run.set_status(task, TaskStatus.IN_PROGRESS)
        self._start_iteration(run, node, task)

    def _start_iteration(self, run: Run, node: Node, task: Task) -> None:
        run.schedule(node.wt.loopOver[0].taskReferenceName, iteration=task.iteration)

    def iteration_done(self, run: Run, node: Node, task: Task) -> None:
        """The body finished iteration n: record it, then loop again or complete."""
        ref, n = node.wt.taskReferenceName, task.iteration
        body_refs = run.plan.loop_bodies.get(ref, [])
        run.index.require(body_refs)
        outputs: dict[str, Any] = {}
        for body_ref in body_refs:
            found = run.index.latest(body_ref)
            if found is None or found.iteration != n:
                continue
            if not found.status.successful:
                fail(run, task, found.reasonForIncompletion or f"{body_ref} failed")
                return
            outputs[body_ref] = found.outputData
        state = _state(task.outputData)
        output = {**state, str(n): outputs, "iteration": n}
        try:
            again = self._again(node, task, output, outputs)
        except ValueError as exc:
            task.outputData = output
            fail(run, task, str(exc), terminal=True)
            return
        if not again:
            tasks = run.index.everything()  # once per loop: the full output, as Conductor's
            full = {**loop_output(task, body_refs, tasks), **state, "iteration": n}
            keep = task.inputData.get("keepLastN")
            if isinstance(keep, int) and keep > 0:
                full = {k: v for k, v in full.items() if not k.isdigit() or int(k) > n - keep}
            succeed(run, task, full)
            return
        self._next_iteration(run, node, task, state)

    def _again(
        self, node: Node, task: Task, output: dict[str, Any], outputs: dict[str, Any]
    ) -> bool:
        items = _items(node, task)
        more_items = items is None or int(output.get("loopIndex", 0)) < len(items) - 1
        condition = node.wt.loopCondition
        if not condition:
            return items is not None and more_items
        from podium.expr.javascript import ScriptError, evaluate, truthy

        bindings = {**task.inputData, node.wt.taskReferenceName: output, **outputs}
        try:
            holds = truthy(evaluate(condition, bindings))
        except ScriptError as exc:
            raise ValueError(f"Unable to evaluate the loop condition: {exc.message}") from exc
        return holds and more_items

    def _next_iteration(self, run: Run, node: Node, task: Task, output: dict[str, Any]) -> None:
        n = task.iteration + 1
        output["iteration"] = n
        items = _items(node, task)
        if items is not None:
            index = int(output.get("loopIndex", 0)) + 1
            output.update(loopIndex=index, loopItem=items[index])
        keep = task.inputData.get("keepLastN")
        if isinstance(keep, int) and keep > 0 and n - 1 > keep:
            run.prune(run.plan.loop_bodies.get(node.wt.taskReferenceName, []), n - 1 - keep)
        task.iteration = n
        task.outputData = output
        run.set_status(task, TaskStatus.IN_PROGRESS)
        self._start_iteration(run, node, task)
