"""Parents and children: a child's end settles its parent's SUB_WORKFLOW task, in the same
transaction; a parent's end terminates its running children."""

from __future__ import annotations

from podium.engine.decision import Decision, Termination
from podium.model.statuses import TaskStatus, WorkflowStatus, task_status_from_workflow
from podium.services.context import ServiceContext
from podium.services.decisions import Decisions
from podium.services.plans import Plans
from podium.services.tasks import TaskService
from podium.services.unit import Unit

__all__ = ["Hierarchy"]


class Hierarchy:
    """Hooked into every decision that ends a workflow (see `Decisions.on_ended`)."""

    def __init__(
        self, ctx: ServiceContext, plans: Plans, decisions: Decisions, tasks: TaskService
    ) -> None:
        self.ctx = ctx
        self.plans = plans
        self.decisions = decisions
        self.tasks = tasks
        decisions.on_ended = self.after_end

    async def after_end(self, unit: Unit, decision: Decision) -> None:
        await self._terminate_children(unit, decision)
        await self._settle_parent(unit, decision)

    async def _terminate_children(self, unit: Unit, decision: Decision) -> None:
        wf = decision.workflow
        for task in decision.changed.values():
            if task.taskType != "SUB_WORKFLOW" or not task.subWorkflowId:
                continue
            child = await unit.tx.get_workflow(task.subWorkflowId)
            if child is None or child.status.terminal:
                continue
            plan = await self.plans.for_digest(unit.tx, child.defHash)
            reason = (
                f"Parent workflow has been terminated with reason: {wf.reasonForIncompletion}"
                if wf.reasonForIncompletion
                else f"Parent workflow has been terminated with status {wf.status.value}"
            )
            order = Termination(WorkflowStatus.TERMINATED, reason)
            await self.decisions.run(unit, child, plan, actor="parent-workflow", terminate=order)

    async def _settle_parent(self, unit: Unit, decision: Decision) -> None:
        child = decision.workflow
        if not child.parentWorkflowId or not child.parentWorkflowTaskId:
            return
        task = await unit.tx.get_task(child.parentWorkflowTaskId)
        parent = await unit.tx.get_workflow(child.parentWorkflowId)
        if task is None or parent is None or task.status.terminal or parent.status.terminal:
            return
        task.status = task_status_from_workflow(child.status)
        task.outputData = {**child.output, "subWorkflowId": child.workflowId}
        task.subWorkflowId = child.workflowId
        if task.status is not TaskStatus.COMPLETED:
            task.reasonForIncompletion = (
                f"Sub workflow {child.workflowId} failure reason: {child.reasonForIncompletion}"
            )
        now = self.ctx.clock()
        task.endTime = task.updateTime = now
        await self.tasks.settle(unit, parent, task, actor=f"child-workflow:{child.workflowId}")
