"""A workflow definition prepared for deciding: tasks by reference name and their successors.

Built once per definition snapshot and cached, so a decision never walks the definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from podium.engine.taskdefs import effective_task_def
from podium.expr.params import referenced_roots
from podium.model.definitions import TaskDef, WorkflowDef, WorkflowTask

__all__ = ["Node", "Plan", "build_plan"]

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


@dataclass(slots=True)
class Plan:
    """The prepared definition."""

    definition: WorkflowDef
    definition_json: dict[str, Any]
    nodes: dict[str, Node] = field(default_factory=dict)
    first: str | None = None
    output_refs: frozenset[str] = frozenset()
    has_permissive: bool = False

    def node(self, ref: str) -> Node | None:
        return self.nodes.get(ref)


def _refs(value: Any) -> frozenset[str]:
    return frozenset(referenced_roots(value) - _NOT_REFS)


def _walk(plan: Plan, tasks: list[WorkflowTask], after: str | None, top: bool) -> None:
    for i, wt in enumerate(tasks):
        nxt = tasks[i + 1].taskReferenceName if i + 1 < len(tasks) else after
        plan.nodes[wt.taskReferenceName] = Node(
            wt=wt,
            wt_json=wt.to_json(),
            td=effective_task_def(wt),
            next=nxt,
            refs=_refs(wt.inputParameters),
            top_level=top,
        )
        plan.has_permissive = plan.has_permissive or bool(wt.permissive)
        for branch in (wt.decisionCases or {}).values():
            _walk(plan, branch, nxt, False)
        _walk(plan, wt.defaultCase or [], nxt, False)
        for branch in wt.forkTasks or []:
            _walk(plan, branch, None, False)
        _walk(plan, wt.loopOver or [], None, False)


def build_plan(definition: WorkflowDef) -> Plan:
    """Index a (validated) definition for the decider."""
    plan = Plan(definition=definition, definition_json=definition.to_json())
    _walk(plan, definition.tasks, None, True)
    plan.first = definition.tasks[0].taskReferenceName if definition.tasks else None
    plan.output_refs = _refs(definition.outputParameters)
    return plan
