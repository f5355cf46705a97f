"""Operator actions on executions: pause, resume, terminate, restart, retry, rerun, skip..."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from podium.engine.decision import Termination
from podium.engine.domains import queue_name
from podium.errors import BadRequest, Conflict, NotFound, PodiumError
from podium.model.executions import HistoryEvent, QueueEntry, Task, Workflow
from podium.model.requests import RerunWorkflowRequest, SkipTaskRequest
from podium.model.statuses import TaskStatus, WorkflowStatus
from podium.services.context import ServiceContext
from podium.services.decisions import Decisions
from podium.services.plans import Plans
from podium.services.starting import workflow_timeout_at
from podium.services.unit import Unit, unit_of_work

__all__ = ["Operations"]

_RETRYABLE = (
    TaskStatus.FAILED,
    TaskStatus.FAILED_WITH_TERMINAL_ERROR,
    TaskStatus.TIMED_OUT,
    TaskStatus.CANCELED,
)


class Operations:
    """Each action is one unit of work that ends with a decision."""

    def __init__(self, ctx: ServiceContext, plans: Plans, decisions: Decisions) -> None:
        self.ctx = ctx
        self.plans = plans
        self.decisions = decisions

    async def _load(self, unit: Unit, workflow_id: str) -> Workflow:
        wf = await unit.tx.get_workflow(workflow_id)
        if wf is None:
            raise NotFound(f"No such workflow found by id: {workflow_id}")
        return wf

    async def _decide(self, unit: Unit, wf: Workflow, actor: str, **orders: Any) -> None:
        plan = await self.plans.for_digest(unit.tx, wf.defHash)
        await self.decisions.run(unit, wf, plan, actor=actor, **orders)

    def _event(
        self,
        wf: Workflow,
        event: str,
        actor: str,
        before: WorkflowStatus,
        reason: str | None = None,
    ) -> HistoryEvent:
        return HistoryEvent(
            wf.workflowId,
            self.ctx.clock(),
            event,
            actor,
            self.ctx.node,
            from_status=before.value,
            to_status=wf.status.value,
            reason=reason,
        )

    async def decide(self, workflow_id: str, *, actor: str = "api") -> None:
        async with unit_of_work(self.ctx) as unit:
            wf = await self._load(unit, workflow_id)
            await self._decide(unit, wf, actor)

    async def pause(self, workflow_id: str, *, actor: str = "api") -> None:
        async with unit_of_work(self.ctx) as unit:
            wf = await self._load(unit, workflow_id)
            if wf.status.terminal:
                raise Conflict(
                    f"Workflow {workflow_id} has ended with status {wf.status.value} "
                    "and cannot be paused"
                )
            if wf.status is WorkflowStatus.PAUSED:
                return
            wf.status = WorkflowStatus.PAUSED
            wf.updateTime = self.ctx.clock()
            await unit.tx.update_workflow(wf)
            await unit.tx.append_history(
                [self._event(wf, "workflow_paused", actor, WorkflowStatus.RUNNING)]
            )
            unit.wake.add(f"wf:{workflow_id}")

    async def resume(self, workflow_id: str, *, actor: str = "api") -> None:
        async with unit_of_work(self.ctx) as unit:
            wf = await self._load(unit, workflow_id)
            if wf.status is not WorkflowStatus.PAUSED:
                raise Conflict(
                    f"Workflow {workflow_id} is {wf.status.value}, not PAUSED: nothing to resume"
                )
            plan = await self.plans.for_digest(unit.tx, wf.defHash)
            wf.status = WorkflowStatus.RUNNING
            wf.lastRetriedTime = self.ctx.clock()
            wf.timeoutAt = workflow_timeout_at(wf, plan)
            await unit.tx.append_history(
                [self._event(wf, "workflow_resumed", actor, WorkflowStatus.PAUSED)]
            )
            await self.decisions.run(unit, wf, plan, actor=actor)

    async def terminate(
        self,
        workflow_id: str,
        reason: str | None,
        *,
        trigger_failure: bool = False,
        actor: str = "api",
    ) -> None:
        async with unit_of_work(self.ctx) as unit:
            wf = await self._load(unit, workflow_id)
            if wf.status is WorkflowStatus.TERMINATED:
                return
            if wf.status.terminal:
                raise Conflict(f"Cannot terminate a {wf.status.value} workflow.")
            order = Termination(WorkflowStatus.TERMINATED, reason, trigger_failure)
            await self._decide(unit, wf, actor, terminate=order)

    async def remove(self, workflow_id: str, *, archive: bool = True, actor: str = "api") -> None:
        async with unit_of_work(self.ctx) as unit:
            wf = await self._load(unit, workflow_id)
            if archive and not wf.status.terminal:
                raise BadRequest(
                    f"Workflow {workflow_id} is {wf.status.value}: only a finished workflow "
                    "can be removed with archiveWorkflow=true (terminate it first)"
                )
            await self.remove_loaded(unit, wf, archive=archive, actor=actor)

    async def remove_loaded(
        self, unit: Unit, wf: Workflow, *, archive: bool, actor: str, reason: str | None = None
    ) -> None:
        """Remove an execution inside an open unit: its `workflow_removed` record, its final
        JSON when archived, then its rows (the history stays)."""
        workflow_id = wf.workflowId
        removed = self._event(wf, "workflow_removed", actor, wf.status, reason)
        await unit.tx.append_history([removed])
        if archive:
            tasks = await unit.tx.workflow_tasks(workflow_id)
            plan = await self.plans.for_digest(unit.tx, wf.defHash)
            body = orjson.dumps(wf.to_json(plan.definition_json, tasks))
            await unit.tx.archive_workflow(workflow_id, body, self.ctx.clock())
        await unit.tx.delete_workflow(workflow_id)

    async def terminate_remove(
        self, workflow_id: str, reason: str | None, *, archive: bool = True, actor: str = "api"
    ) -> None:
        await self.terminate(workflow_id, reason, actor=actor)
        await self.remove(workflow_id, archive=archive, actor=actor)

    async def restart(
        self, workflow_id: str, *, use_latest: bool = False, actor: str = "api"
    ) -> None:
        async with unit_of_work(self.ctx) as unit:
            wf = await self._load(unit, workflow_id)
            self._require_terminal(wf, "restarted")
            plan = await self.plans.for_digest(unit.tx, wf.defHash)
            if wf.status is WorkflowStatus.COMPLETED and not plan.definition.restartable:
                raise Conflict(
                    f"Workflow {workflow_id} is COMPLETED and its definition is not restartable"
                )
            if use_latest:
                wf.defHash, plan = await self.plans.registered(unit.tx, wf.workflowName, None)
                wf.workflowVersion = plan.definition.version
            await self._reset(unit, wf, actor, "workflow_restarted")
            wf.timeoutAt = workflow_timeout_at(wf, plan)
            await self.decisions.run(unit, wf, plan, actor=actor)
            await self._reopen_parents(unit, wf, actor)

    async def _task_owner(self, unit: Unit, workflow_id: str, task_id: str) -> str | None:
        """The execution (this one or a sub-workflow, at any depth) that has the task."""
        tasks = await unit.tx.workflow_tasks(workflow_id)
        if any(t.taskId == task_id for t in tasks):
            return workflow_id
        for task in tasks:
            if task.taskType == "SUB_WORKFLOW" and task.subWorkflowId:
                found = await self._task_owner(unit, task.subWorkflowId, task_id)
                if found is not None:
                    return found
        return None

    async def _deepest_failed_child(self, unit: Unit, workflow_id: str) -> str | None:
        """The deepest failed sub-workflow under an execution's failed SUB_WORKFLOW tasks."""
        tasks = await unit.tx.workflow_tasks(workflow_id)
        for task in _retry_candidates(tasks):
            if task.taskType != "SUB_WORKFLOW" or not task.subWorkflowId:
                continue
            child = await unit.tx.get_workflow(task.subWorkflowId)
            if child is not None and child.status.terminal and not child.status.successful:
                deeper = await self._deepest_failed_child(unit, child.workflowId)
                return deeper or child.workflowId
        return None

    async def _reopen_parents(self, unit: Unit, child: Workflow, actor: str) -> None:
        """A child running again reopens its parents (Conductor 6.9): each parent's
        SUB_WORKFLOW task goes back to IN_PROGRESS (`subworkflowChanged`), the parent to
        RUNNING, and its cancelled or failed joins and loops wait again."""
        while child.parentWorkflowId and child.parentWorkflowTaskId:
            parent = await unit.tx.get_workflow(child.parentWorkflowId)
            task = await unit.tx.get_task(child.parentWorkflowTaskId)
            if parent is None or task is None:
                return
            task.status = TaskStatus.IN_PROGRESS
            task.subworkflowChanged = True
            task.endTime = 0
            task.executed = task.retried = False
            task.reasonForIncompletion = None
            await unit.tx.update_tasks([task], [0])
            reopened = _reopenable(await unit.tx.workflow_tasks(parent.workflowId), task)
            if parent.status.terminal:
                before = parent.status
                parent.status = WorkflowStatus.RUNNING
                parent.endTime = 0
                parent.reasonForIncompletion = None
                parent.failedTaskId = None
                await unit.tx.append_history(
                    [self._event(parent, "workflow_reopened", actor, before)]
                )
            plan = await self.plans.for_digest(unit.tx, parent.defHash)
            await self.decisions.run(unit, parent, plan, actor=actor, retry=reopened)
            child = parent

    async def _reset(self, unit: Unit, wf: Workflow, actor: str, event: str) -> None:
        tasks = await unit.tx.workflow_tasks(wf.workflowId)
        await unit.tx.delete_tasks([t.taskId for t in tasks])
        before = wf.status
        now = self.ctx.clock()
        wf.status = WorkflowStatus.RUNNING
        wf.createTime = now
        wf.endTime = 0
        wf.lastRetriedTime = 0
        wf.reasonForIncompletion = None
        wf.output = {}
        wf.taskCount = 0
        wf.failedReferenceTaskNames = []
        wf.failedTaskNames = []
        wf.failedTaskId = None
        wf.skippedRefs = []
        await unit.tx.append_history([self._event(wf, event, actor, before)])

    def _require_terminal(self, wf: Workflow, action: str) -> None:
        if not wf.status.terminal:
            raise Conflict(
                f"Workflow {wf.workflowId} is still {wf.status.value}: only a finished "
                f"workflow can be {action}"
            )

    async def retry(
        self, workflow_id: str, *, resume_subworkflows: bool = False, actor: str = "api"
    ) -> None:
        """Retry the failed tasks; with `resume_subworkflows`, retry inside the deepest failed
        sub-workflow instead (its parents reopen and resume when it ends)."""
        if resume_subworkflows:
            async with unit_of_work(self.ctx) as unit:
                deepest = await self._deepest_failed_child(unit, workflow_id)
            if deepest is not None:
                await self.retry(deepest, actor=actor)
                return
        async with unit_of_work(self.ctx) as unit:
            wf = await self._load(unit, workflow_id)
            self._require_terminal(wf, "retried")
            tasks = await unit.tx.workflow_tasks(workflow_id)
            candidates = _retry_candidates(tasks)
            if not candidates and wf.status is not WorkflowStatus.TIMED_OUT:
                raise Conflict(
                    "There are no retryable tasks! Use restart if you want to attempt entire "
                    "workflow execution again."
                )
            plan = await self.plans.for_digest(unit.tx, wf.defHash)
            before = wf.status
            wf.status = WorkflowStatus.RUNNING
            wf.lastRetriedTime = self.ctx.clock()
            wf.endTime = 0
            wf.reasonForIncompletion = None
            wf.timeoutAt = workflow_timeout_at(wf, plan)
            await unit.tx.append_history([self._event(wf, "workflow_retried", actor, before)])
            await self.decisions.run(unit, wf, plan, actor=actor, retry=candidates)
            await self._reopen_parents(unit, wf, actor)

    async def rerun(
        self, workflow_id: str, request: RerunWorkflowRequest, *, actor: str = "api"
    ) -> str:
        """Rerun from scratch or from a task; a task of a sub-workflow reruns that child
        (searched recursively), and the parents reopen."""
        if request.reRunFromTaskId:
            async with unit_of_work(self.ctx) as unit:
                owner = await self._task_owner(unit, workflow_id, request.reRunFromTaskId)
            if owner is not None and owner != workflow_id:
                await self.rerun(owner, request, actor=actor)
                return workflow_id
        async with unit_of_work(self.ctx) as unit:
            wf = await self._load(unit, workflow_id)
            self._require_terminal(wf, "rerun")
            plan = await self.plans.for_digest(unit.tx, wf.defHash)
            if request.workflowInput is not None:
                wf.input = dict(request.workflowInput)
            if request.correlationId is not None:
                wf.correlationId = request.correlationId
            if not request.reRunFromTaskId:
                await self._reset(unit, wf, actor, "workflow_rerun")
            else:
                await self._rerun_from(unit, wf, request, actor)
            wf.timeoutAt = workflow_timeout_at(wf, plan)
            await self.decisions.run(unit, wf, plan, actor=actor)
            await self._reopen_parents(unit, wf, actor)
        return workflow_id

    async def _rerun_from(
        self, unit: Unit, wf: Workflow, request: RerunWorkflowRequest, actor: str
    ) -> None:
        tasks = await unit.tx.workflow_tasks(wf.workflowId)
        target = next((t for t in tasks if t.taskId == request.reRunFromTaskId), None)
        if target is None:
            raise BadRequest(f"Task {request.reRunFromTaskId} not found")
        later = [t for t in tasks if t.seq > target.seq]
        await unit.tx.delete_tasks([t.taskId for t in later])
        now = self.ctx.clock()
        _reset_task(target, now, request.taskInput)
        before = wf.status
        wf.status = WorkflowStatus.RUNNING
        wf.endTime = 0
        wf.reasonForIncompletion = None
        wf.output = {}
        wf.taskCount = target.seq
        wf.lastRetriedTime = now
        queue = queue_name(
            target.taskType, target.domain, target.executionNameSpace, target.isolationGroupId
        )
        await unit.tx.update_tasks([target], [0])
        await unit.tx.push([QueueEntry(queue, target.taskId, wf.workflowId, now, wf.priority)])
        unit.wake.add(queue)
        await unit.tx.append_history(
            [self._event(wf, "workflow_rerun", actor, before, f"from task {target.taskId}")]
        )

    async def skip(
        self, workflow_id: str, ref: str, request: SkipTaskRequest, *, actor: str = "api"
    ) -> None:
        async with unit_of_work(self.ctx) as unit:
            wf = await self._load(unit, workflow_id)
            if wf.status is not WorkflowStatus.RUNNING:
                raise Conflict(f"Workflow {workflow_id} is {wf.status.value}: cannot skip tasks")
            plan = await self.plans.for_digest(unit.tx, wf.defHash)
            node = plan.node(ref)
            if node is None:
                raise BadRequest(f"Task {ref} is not in the definition of workflow {workflow_id}")
            if await unit.tx.latest_tasks(workflow_id, [ref]):
                raise Conflict(f"Task {ref} of workflow {workflow_id} is already scheduled")
            now = self.ctx.clock()
            wf.taskCount += 1
            skipped = Task(
                taskId=self.ctx.new_id(),
                workflowInstanceId=workflow_id,
                taskType=node.wt.type,
                referenceTaskName=ref,
                status=TaskStatus.SKIPPED,
                taskDefName=node.wt.name,
                workflowType=wf.workflowName,
                correlationId=wf.correlationId,
                seq=wf.taskCount,
                scheduledTime=now,
                endTime=now,
                updateTime=now,
                executed=True,
                inputData=dict(request.taskInput or {}),
                outputData=dict(request.taskOutput or {}),
                workflowTask=node.wt_json,
            )
            wf.skippedRefs = [*wf.skippedRefs, ref]
            await unit.tx.insert_tasks([skipped], [0])
            await unit.tx.append_history(
                [
                    HistoryEvent(
                        workflow_id,
                        now,
                        "task_skipped",
                        actor,
                        self.ctx.node,
                        task_id=skipped.taskId,
                        ref=ref,
                        to_status=TaskStatus.SKIPPED.value,
                    )
                ]
            )
            await self.decisions.run(unit, wf, plan, actor=actor)

    async def reset_callbacks(self, workflow_id: str, *, actor: str = "api") -> None:
        async with unit_of_work(self.ctx) as unit:
            wf = await self._load(unit, workflow_id)
            if wf.status.terminal:
                raise Conflict(f"Workflow {workflow_id} has ended: no callbacks to reset")
            now = self.ctx.clock()
            for task in await unit.tx.pending_tasks(workflow_id):
                if task.status is TaskStatus.SCHEDULED and task.callbackAfterSeconds > 0:
                    task.callbackAfterSeconds = 0
                    queue = queue_name(
                        task.taskType, task.domain, task.executionNameSpace, task.isolationGroupId
                    )
                    await unit.tx.update_tasks([task], [0])
                    await unit.tx.push(
                        [QueueEntry(queue, task.taskId, workflow_id, now, task.workflowPriority)]
                    )
                    unit.wake.add(queue)

    async def bulk(
        self, ids: list[str], action: Callable[[str], Awaitable[object]]
    ) -> dict[str, Any]:
        """Run one action per id; failures are reported per id, the rest still run."""
        if len(ids) > self.ctx.limits.max_bulk:
            raise BadRequest(
                f"Cannot process more than {self.ctx.limits.max_bulk} workflows. "
                "Please use multiple requests."
            )
        ok: list[Any] = []
        errors: dict[str, str] = {}
        for workflow_id in ids:
            try:
                result = await action(workflow_id)
                ok.append(result if result is not None else workflow_id)
            except PodiumError as exc:
                errors[workflow_id] = exc.message
        return {
            "bulkErrorResults": errors,
            "bulkSuccessfulResults": ok,
            "message": "Bulk Request has been processed.",
        }


_WAITERS = frozenset({"JOIN", "EXCLUSIVE_JOIN", "DO_WHILE"})


def _reopenable(tasks: list[Task], reopened: Task) -> list[Task]:
    """A reopened parent's joins and loops that ended unsuccessfully (they wait again)."""
    latest: dict[str, Task] = {}
    for task in tasks:
        latest[task.referenceTaskName] = task
    return [
        t
        for t in latest.values()
        if t.taskType in _WAITERS and t.status in _RETRYABLE and t.taskId != reopened.taskId
    ]


def _retry_candidates(tasks: list[Task]) -> list[Task]:
    latest: dict[str, Task] = {}
    for task in tasks:
        latest[task.referenceTaskName] = task
    return sorted(
        (t for t in latest.values() if t.status in _RETRYABLE and not t.retried),
        key=lambda t: t.seq,
    )


def _reset_task(task: Task, now: int, task_input: dict[str, Any] | None) -> None:
    task.status = TaskStatus.SCHEDULED
    task.scheduledTime = now
    task.startTime = 0
    task.endTime = 0
    task.updateTime = now
    task.outputData = {}
    task.retried = False
    task.executed = False
    task.pollCount = 0
    task.callbackAfterSeconds = 0
    task.reasonForIncompletion = None
    task.workerId = None
    if task_input:
        task.inputData = {**task.inputData, **task_input}
