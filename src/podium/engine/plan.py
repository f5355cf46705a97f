"""A workflow definition prepared for deciding: tasks by reference name and their successors.

Built once per definition snapshot and cached, so a decision never walks the definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from podium.engine.taskdefs import effective_task_def
from podium.expr.params import referenced_roots
from podium.model.definitions import TaskDef, WorkflowDef, WorkflowTask

__all__ = ["Node", "Plan", "build_plan", "dynamic_node"]

# Roots of `${...}` that are not task reference names.
_NOT_REFS = frozenset({"workflow", "CPEWF_TASK_ID"})


@dataclass(slots=True)
class Node:
    """One WorkflowTask of the definition, with what the decider needs to schedule it."""

    wt: WorkflowTask
    wt_json: dict[str, Any]
    td: TaskDef
    next: str | None = None
    refs: frozenset[str] = frozenset()
    """Task reference names its inputParameters read ("*" when unknown statically)."""
    top_level: bool = False
    loop: str | None = None
    """The DO_WHILE whose body holds this task (its refs get `__<iteration>`)."""
    ends_loop: str | None = None
    """The DO_WHILE whose iteration ends when this task is done and has no successor."""


@dataclass(slots=True)
class Plan:
    """The prepared definition."""

    definition: WorkflowDef
    definition_json: dict[str, Any]
    nodes: dict[str, Node] = field(default_factory=dict)
    first: str | None = None
    output_refs: frozenset[str] = frozenset()
    has_permissive: bool = False
    loop_bodies: dict[str, list[str]] = field(default_factory=dict)
    """Every reference name inside each DO_WHILE's body (nested lists included)."""

    def node(self, ref: str) -> Node | None:
        return self.nodes.get(ref)


def _refs(value: Any) -> frozenset[str]:
    return frozenset(referenced_roots(value) - _NOT_REFS)


def _walk(
    plan: Plan,
    tasks: list[WorkflowTask],
    after: str | None,
    *,
    top: bool = False,
    loop: str | None = None,
    ends_loop: str | None = None,
) -> None:
    """Index a list of tasks: each one's successor, loop and what its end means.

    `after` is what follows the list (the successor of a SWITCH for its branches, nothing for
    FORK branches and loop bodies); `ends_loop` names the DO_WHILE whose iteration ends with it.
    """
    for i, wt in enumerate(tasks):
        last = i + 1 == len(tasks)
        nxt = after if last else tasks[i + 1].taskReferenceName
        end = ends_loop if last and nxt is None else None
        plan.nodes[wt.taskReferenceName] = Node(
            wt=wt,
            wt_json=wt.to_json(),
            td=effective_task_def(wt),
            next=nxt,
            refs=_refs(wt.inputParameters),
            top_level=top,
            loop=loop,
            ends_loop=end,
        )
        if loop is not None:
            plan.loop_bodies.setdefault(loop, []).append(wt.taskReferenceName)
        plan.has_permissive = plan.has_permissive or bool(wt.permissive)
        for branch in (wt.decisionCases or {}).values():
            _walk(plan, branch, nxt, loop=loop, ends_loop=end)
        _walk(plan, wt.defaultCase or [], nxt, loop=loop, ends_loop=end)
        for branch in wt.forkTasks or []:
            # A branch's end leads to the JOIN after the fork (normally already scheduled).
            _walk(plan, branch, nxt, loop=loop)
        if wt.loopOver:
            ref = wt.taskReferenceName
            plan.loop_bodies.setdefault(ref, [])
            _walk(plan, wt.loopOver, None, loop=ref, ends_loop=ref)


def build_plan(definition: WorkflowDef) -> Plan:
    """Index a (validated) definition for the decider."""
    plan = Plan(definition=definition, definition_json=definition.to_json())
    _walk(plan, definition.tasks, None, top=True)
    plan.first = definition.tasks[0].taskReferenceName if definition.tasks else None
    plan.output_refs = _refs(definition.outputParameters)
    return plan


def dynamic_node(wt_json: dict[str, Any]) -> Node:
    """A node for a task created at run time (dynamic fork branches): no successor."""
    wt = WorkflowTask.model_validate(wt_json)
    return Node(
        wt=wt, wt_json=wt.to_json(), td=effective_task_def(wt), refs=_refs(wt.inputParameters)
    )
