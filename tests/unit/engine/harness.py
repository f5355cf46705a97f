"""A tiny in-memory driver for the pure decider: applies decisions like the service does."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from podium.engine.decider import decide
from podium.engine.decision import DecideContext, Decision, Termination
from podium.engine.lookup import NeedTasks, TaskIndex
from podium.engine.plan import Plan, build_plan
from podium.model.executions import Task, Workflow
from podium.model.statuses import TaskStatus
from podium.model.validation import parse_workflow_def

__all__ = ["Sim", "plan_of"]


def plan_of(definition: dict[str, Any]) -> Plan:
    return build_plan(parse_workflow_def(definition))


@dataclass
class Sim:
    """A workflow, its tasks, and a clock, driven through the decider."""

    plan: Plan
    wf: Workflow
    now: int = 1_000_000
    tasks: dict[str, Task] = field(default_factory=dict)
    decisions: list[Decision] = field(default_factory=list)
    rounds: int = 0
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    task_to_domain_active: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def start(cls, definition: dict[str, Any], **wf_fields: Any) -> Sim:
        plan = plan_of(definition)
        wf = Workflow(
            workflowId="wf-1",
            workflowName=plan.definition.name,
            workflowVersion=plan.definition.version,
            defHash="h",
            createTime=1_000_000,
            **wf_fields,
        )
        sim = cls(plan, wf)
        sim.decide()
        return sim

    def new_id(self) -> str:
        return f"t{next(self._ids)}"

    def pending(self) -> list[Task]:
        return sorted((t for t in self.tasks.values() if not t.done), key=lambda t: t.seq)

    def decide(self, **orders: Any) -> Decision:
        pending = self.pending()
        index = TaskIndex({t.ref_base: t for t in pending})
        for _ in range(8):
            ctx = DecideContext(
                workflow=self.wf,
                plan=self.plan,
                pending=pending,
                tasks=index,
                now=self.now,
                new_id=self.new_id,
                is_domain_active=lambda t, d: (t, d) in self.task_to_domain_active,
                env={"CONDUCTOR_ENV_REGION": "eu"},
            )
            ctx.terminate = orders.get("terminate")
            ctx.retry = orders.get("retry", [])
            try:
                decision = decide(ctx)
                break
            except NeedTasks as need:
                self.rounds += 1
                if need.everything:
                    index = TaskIndex(all_tasks=sorted(self.tasks.values(), key=lambda t: t.seq))
                else:
                    found = {}
                    for t in sorted(self.tasks.values(), key=lambda t: t.seq):
                        if t.ref_base in need.refs:
                            found[t.ref_base] = t
                    index = TaskIndex(
                        {**index.latest_by_ref, **found}, index.absent | (need.refs - found.keys())
                    )
        else:
            raise AssertionError("decider kept asking")
        for task in [*decision.new_tasks, *decision.changed.values()]:
            self.tasks[task.taskId] = task
        self.wf = decision.workflow
        self.decisions.append(decision)
        return decision

    # -- worker actions ------------------------------------------------------------------------
    def live(self, ref: str) -> Task:
        found = [
            t for t in self.tasks.values() if t.referenceTaskName == ref and not t.status.terminal
        ]
        assert len(found) == 1, f"expected one live {ref}, found {found}"
        return found[0]

    def attempts(self, ref: str) -> list[Task]:
        return sorted(
            (t for t in self.tasks.values() if t.referenceTaskName == ref), key=lambda t: t.seq
        )

    def poll(self, ref: str) -> Task:
        task = self.live(ref).copy()
        task.status = TaskStatus.IN_PROGRESS
        task.startTime = task.startTime or self.now
        task.updateTime = self.now
        task.pollCount += 1
        self.tasks[task.taskId] = task
        return task

    def finish(
        self,
        ref: str,
        status: TaskStatus = TaskStatus.COMPLETED,
        output: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> Decision:
        task = self.poll(ref)
        task.status = status
        task.outputData = output or {}
        task.reasonForIncompletion = reason
        task.endTime = self.now
        return self.decide()

    def terminate(self, reason: str) -> Decision:
        from podium.model.statuses import WorkflowStatus

        return self.decide(terminate=Termination(WorkflowStatus.TERMINATED, reason))
