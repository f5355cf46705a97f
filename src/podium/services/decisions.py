"""Running the pure decider against the store, and applying its decision."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Awaitable, Callable, Mapping

from podium.engine.decider import decide
from podium.engine.decision import DecideContext, Decision, Termination
from podium.engine.lookup import NeedTasks, TaskIndex
from podium.engine.plan import Plan
from podium.model.executions import Task, Workflow
from podium.services.context import ServiceContext
from podium.services.unit import Unit

__all__ = ["Decisions", "FailureHook"]

FailureHook = Callable[[Unit, Decision, str], Awaitable[None]]
EndHook = Callable[[Unit, Decision], Awaitable[None]]

_MAX_ROUNDS = 8


class Decisions:
    """Decide a workflow inside a unit of work and write the result."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.on_failure: FailureHook | None = None
        self.on_ended: EndHook | None = None
        """Settles parent and child workflows; set by `Hierarchy`."""
        """Starts a failure workflow; set by the Starter (which needs Decisions itself)."""

    async def run(
        self,
        unit: Unit,
        wf: Workflow,
        plan: Plan,
        *,
        actor: str,
        overrides: Mapping[str, Task] | None = None,
        terminate: Termination | None = None,
        retry: list[Task] | None = None,
        pending: list[Task] | None = None,
    ) -> Decision:
        """Decide, loading the tasks the decider asks for; `overrides` are unsaved changes,
        `pending` the execution's pending tasks when the caller has just read them."""
        started = time.perf_counter()
        tx = unit.tx
        overrides = overrides or {}
        if pending is None:
            pending = await tx.pending_tasks(wf.workflowId)
        pending = [overrides.get(t.taskId, t) for t in pending]
        index = TaskIndex({t.ref_base: t for t in pending})
        for _ in range(_MAX_ROUNDS):
            ctx = self._context(wf, plan, pending, index, actor)
            ctx.terminate = terminate
            ctx.retry = list(retry or [])
            try:
                decision = decide(ctx)
                break
            except NeedTasks as need:
                index = await self._load(unit, wf, index, need, overrides)
        else:  # pragma: no cover - the decider asks for a bounded set of tasks
            raise RuntimeError(f"the decider kept asking for tasks of {wf.workflowId}")
        await self.apply(unit, decision)
        if decision.failure_workflow is not None and self.on_failure is not None:
            await self.on_failure(unit, decision, actor)
        if decision.ended and self.on_ended is not None:
            await self.on_ended(unit, decision)
        self.ctx.observer.decided(time.perf_counter() - started)
        return decision

    def _context(
        self, wf: Workflow, plan: Plan, pending: list[Task], index: TaskIndex, actor: str
    ) -> DecideContext:
        ctx = self.ctx
        return DecideContext(
            workflow=wf,
            plan=plan,
            pending=pending,
            tasks=index,
            now=ctx.clock(),
            new_id=ctx.new_id,
            jitter=random.random,
            is_domain_active=ctx.is_domain_active,
            env=ctx.env,
            actor=actor,
            node=ctx.node,
        )

    async def _load(
        self,
        unit: Unit,
        wf: Workflow,
        index: TaskIndex,
        need: NeedTasks,
        overrides: Mapping[str, Task],
    ) -> TaskIndex:
        tx = unit.tx
        task_defs = dict(index.task_defs)
        for name in need.task_defs:
            task_defs[name] = await tx.get_task_def(name)
        if need.everything:
            tasks = [overrides.get(t.taskId, t) for t in await tx.workflow_tasks(wf.workflowId)]
            return TaskIndex(all_tasks=tasks, task_defs=task_defs)
        found = await tx.latest_tasks(wf.workflowId, sorted(need.refs))
        found = {ref: overrides.get(t.taskId, t) for ref, t in found.items()}
        latest = {**index.latest_by_ref, **found}
        absent = index.absent | (need.refs - found.keys())
        return TaskIndex(latest, absent, index.all_tasks, task_defs)

    def _report_timeouts(self, unit: Unit, decision: Decision) -> None:
        observer = self.ctx.observer
        for event in decision.history:
            if event.to_status != "TIMED_OUT" or event.task_id is None:
                continue
            task = decision.changed.get(event.task_id)
            kind = "response" if (event.reason or "").startswith("responseTimeout") else "task"
            task_type = task.taskType if task else "?"
            unit.report(
                functools.partial(
                    observer.task_timed_out, task_type, kind, event.workflow_id, event.task_id
                )
            )

    async def apply(self, unit: Unit, decision: Decision) -> None:
        """Write a decision: tasks, queue entries, history and the workflow row."""
        tx = unit.tx
        wf = decision.workflow
        check = decision.check_at
        if decision.new_tasks:
            await tx.insert_tasks(decision.new_tasks, [check[t.taskId] for t in decision.new_tasks])
        changed = list(decision.changed.values())
        if changed:
            await tx.update_tasks(changed, [check[t.taskId] for t in changed])
        if decision.queue:
            await tx.push(decision.queue)
            unit.queue(decision.queue)
        if decision.unqueue:
            await tx.unqueue(decision.unqueue)
        for refs, up_to in decision.prune:
            await tx.delete_iterations(wf.workflowId, refs, up_to)
        wf.updateTime = self.ctx.clock()
        await tx.update_workflow(wf)
        if decision.history:
            await tx.append_history(decision.history)
        # Only a blocking execute waits on an execution (see `Workflow.awaited`).
        (unit.wake if wf.awaited else unit.here).add(f"wf:{wf.workflowId}")
        self._report_timeouts(unit, decision)
        if decision.ended:
            duration = max(0, (wf.endTime or wf.updateTime) - wf.createTime)
            name, workflow_id, status = wf.workflowName, wf.workflowId, wf.status.value
            observer = self.ctx.observer
            unit.report(lambda: observer.workflow_ended(name, workflow_id, status, duration))
