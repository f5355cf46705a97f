"""How a decision ends a workflow: completion, failure, termination, and their outputs."""

from __future__ import annotations

from typing import Any

from podium.engine.decision import DecideContext, Decision, FailureWorkflowStart
from podium.engine.lookup import ParamDoc, TaskIndex
from podium.expr.params import resolve_params
from podium.model.executions import HistoryEvent, Task, Workflow
from podium.model.statuses import TaskStatus, WorkflowStatus, workflow_status_from_task

__all__ = ["Ending"]

_FAILED_NAMES = (TaskStatus.FAILED, TaskStatus.FAILED_WITH_TERMINAL_ERROR)


class Ending:
    """The ending half of a decision (mixed into the decider's run)."""

    ctx: DecideContext
    wf: Workflow
    d: Decision
    index: TaskIndex
    live: dict[str, Task]

    def set_status(self, task: Task, status: TaskStatus, reason: str | None = None) -> None:
        raise NotImplementedError

    def note_failed(self, task: Task) -> None:
        if task.status in _FAILED_NAMES:
            if task.referenceTaskName not in self.wf.failedReferenceTaskNames:
                self.wf.failedReferenceTaskNames.append(task.referenceTaskName)
            if task.taskDefName not in self.wf.failedTaskNames:
                self.wf.failedTaskNames.append(task.taskDefName)

    def fail_with(self, task: Task) -> None:
        """An unrecoverable task failure ends the workflow (status mapped from the task's)."""
        self.note_failed(task)
        status = workflow_status_from_task(task.status)
        reason = (
            f"Task {task.taskId} failed with status: {status.value} and reason: "
            f"'{task.reasonForIncompletion}'"
        )
        self.wf.failedTaskId = task.taskId
        self.end(status, reason)

    def workflow_timed_out(self) -> None:
        configured = self.ctx.plan.definition.timeoutSeconds
        started = self.wf.lastRetriedTime or self.wf.createTime
        elapsed = (self.ctx.now - started) // 1000
        self.end(
            WorkflowStatus.TIMED_OUT,
            f"Workflow timed out after {elapsed} seconds. Timeout configured as {configured} "
            "seconds. Timeout policy configured to TIME_OUT_WF",
        )

    def complete(self) -> None:
        """Nothing left to run: COMPLETED, unless a permissive task failed on the way."""
        if self.ctx.plan.has_permissive:
            reasons = self.permissive_failures()
            if reasons:
                self.end(WorkflowStatus.FAILED, ". ".join(reasons))
                return
        self.end(WorkflowStatus.COMPLETED, None)

    def permissive_failures(self) -> list[str]:
        latest: dict[str, Task] = {}
        for task in self.index.everything():
            latest[task.referenceTaskName] = task
        reasons = []
        for task in latest.values():
            node = self.ctx.plan.node(task.ref_base)
            if node and node.wt.permissive and not node.wt.optional and not task.status.successful:
                reasons.append(
                    f"Task {task.taskId} failed with status: {task.status.value} and reason: "
                    f"'{task.reasonForIncompletion}'"
                )
        return reasons

    def end(
        self,
        status: WorkflowStatus,
        reason: str | None,
        *,
        failure: bool = True,
        output: dict[str, Any] | None = None,
    ) -> None:
        """End the workflow: cancel live tasks, compute the output, ask for a failure flow."""
        wf = self.wf
        for task in list(self.live.values()):
            if not task.status.terminal:
                self.set_status(task, TaskStatus.CANCELED, task.reasonForIncompletion)
                self.d.unqueue.append(task.taskId)
        before = wf.status
        wf.status = status
        wf.reasonForIncompletion = reason
        wf.endTime = self.ctx.now
        wf.timeoutAt = 0
        wf.output = output if output else self.output()
        self.d.ended = True
        if failure and status is not WorkflowStatus.COMPLETED:
            self.d.failure_workflow = self.failure_workflow()
        self.d.history.append(
            HistoryEvent(
                wf.workflowId,
                self.ctx.now,
                f"workflow_{status.value.lower()}",
                self.ctx.actor,
                self.ctx.node,
                from_status=before.value,
                to_status=status.value,
                reason=reason,
            )
        )

    def output(self) -> dict[str, Any]:
        plan = self.ctx.plan
        params = plan.definition.outputParameters
        if params:
            self.index.require(plan.output_refs)
            try:
                return resolve_params(params, ParamDoc(self.wf, self.index), env=self.ctx.env)
            except (KeyError, ValueError, TypeError):
                return {}
        last = self.last_task()
        return dict(last.outputData) if last is not None else {}

    def last_task(self) -> Task | None:
        seq = self.wf.taskCount
        for task in self.live.values():
            if task.seq == seq:
                return task
        if seq == 0:
            return None
        tasks = self.index.everything()
        return max(tasks, key=lambda t: t.seq) if tasks else None

    def failure_workflow(self) -> FailureWorkflowStart | None:
        definition = self.ctx.plan.definition
        name = definition.failureWorkflow
        if name and name.startswith("$"):
            parts = name.split(".")
            name = str(self.wf.input.get(parts[2])) if len(parts) > 2 else None
            name = name if name and name != "None" else None
        if not name:
            return None
        extra: dict[str, Any] = {
            "workflowId": self.wf.workflowId,
            "reason": self.wf.reasonForIncompletion,
            "failureStatus": self.wf.status.value,
        }
        if self.wf.failedTaskId:
            extra["failureTaskId"] = self.wf.failedTaskId
        return FailureWorkflowStart(
            name, definition.failureWorkflowVersion, {**self.wf.input, **extra}
        )
