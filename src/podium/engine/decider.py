"""The decider: given a workflow's state, what happens next. A pure function.

`decide(ctx)` looks only at the workflow, its prepared definition, the attempts the decider has not
moved past yet (`ctx.pending`) and any task it asks for by reference name (it raises `NeedTasks`
and is run again). So its cost does not grow with the length of the history.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from podium.engine.decision import DecideContext, Decision, FailureWorkflowStart
from podium.engine.lookup import ParamDoc, TaskIndex
from podium.engine.mapping import new_task, resolve_input
from podium.engine.plan import Node
from podium.engine.retries import retry_delay_seconds, should_retry
from podium.engine.timeouts import check_task_timeouts, next_check_at
from podium.expr.params import resolve_params
from podium.model.executions import HistoryEvent, QueueEntry, Task
from podium.model.statuses import TaskStatus, WorkflowStatus, workflow_status_from_task

__all__ = ["UnsupportedTask", "decide"]

_FAILED_NAMES = (TaskStatus.FAILED, TaskStatus.FAILED_WITH_TERMINAL_ERROR)


class UnsupportedTask(Exception):
    """A task the engine cannot schedule: the workflow fails with this message."""


def decide(ctx: DecideContext) -> Decision:
    """Run one decision over a workflow (see the module docstring)."""
    return _Run(ctx).run()


class _Run:
    """The state of one decision; discarded when the decider asks for more tasks."""

    def __init__(self, ctx: DecideContext) -> None:
        self.ctx = ctx
        self.wf = ctx.workflow.copy()
        self.wf.failedReferenceTaskNames = list(self.wf.failedReferenceTaskNames)
        self.wf.failedTaskNames = list(self.wf.failedTaskNames)
        self.d = Decision(self.wf)
        src = ctx.tasks
        all_tasks = [t.copy() for t in src.all_tasks] if src.all_tasks is not None else None
        self.index = TaskIndex(src.latest_by_ref, src.absent, all_tasks)
        self.live: dict[str, Task] = {}
        for task in ctx.pending:
            copy = task.copy()
            self.live[copy.taskId] = copy
            self.index.note(copy)
        self.work = deque(self.live.values())
        self.scheduled_any = False

    # -- the loop ----------------------------------------------------------------------------
    def run(self) -> Decision:
        wf = self.wf
        if wf.status.terminal:
            return self.d
        if self.ctx.terminate is not None:
            order = self.ctx.terminate
            self.end(order.status, order.reason, failure=order.trigger_failure_workflow)
            self.finish()
            return self.d
        if wf.timeoutAt and self.ctx.now >= wf.timeoutAt:
            self.workflow_timed_out()
            return self.d
        if wf.status is WorkflowStatus.PAUSED:
            return self.d
        try:
            if wf.taskCount == 0:
                self.start()
            for failed in self.ctx.retry:
                self.retry_now(failed)
            while self.work and not self.d.ended:
                self.process(self.work.popleft())
            if not self.d.ended and not self.scheduled_any and self.all_terminal():
                self.complete()
        except UnsupportedTask as exc:
            self.end(WorkflowStatus.FAILED, str(exc))
        self.finish()
        return self.d

    def start(self) -> None:
        first = self.step_over_skipped(self.ctx.plan.first)
        if first is not None:
            self.schedule(first)

    def all_terminal(self) -> bool:
        return all(t.status.terminal for t in self.live.values())

    def process(self, task: Task) -> None:
        node = self.node_of(task)
        if not task.status.terminal:
            timed = check_task_timeouts(
                task, node.td, self.ctx.now, async_complete=node.wt.asyncComplete
            )
            if timed is None:
                return
            self.set_status(task, TaskStatus.TIMED_OUT, timed.reason)
            if timed.fails_workflow:
                self.fail_with(task)
                return
        if task.done:
            return
        if task.status.successful:
            self.advance(task, node)
        elif should_retry(task, node.wt, node.td, self.ctx.now):
            self.retry(task, node)
        elif node.wt.optional:
            self.note_failed(task)
            self.set_status(task, TaskStatus.COMPLETED_WITH_ERRORS, task.reasonForIncompletion)
            self.advance(task, node)
        elif node.wt.permissive:
            self.note_failed(task)
            self.advance(task, node)
        else:
            self.fail_with(task)

    def node_of(self, task: Task) -> Node:
        node = self.ctx.plan.node(task.ref_base)
        if node is None:
            raise UnsupportedTask(
                f"Task {task.referenceTaskName} is not in the workflow definition"
            )
        return node

    # -- moving on ---------------------------------------------------------------------------
    def advance(self, task: Task, node: Node) -> None:
        task.executed = True
        self.changed(task)
        if node.next is not None:
            nxt = self.step_over_skipped(node.next)
            if nxt is not None:
                self.schedule(nxt)

    def step_over_skipped(self, ref: str | None) -> str | None:
        skipped = self.wf.skippedRefs
        while ref is not None and ref in skipped:
            node = self.ctx.plan.node(ref)
            ref = node.next if node else None
        return ref

    def schedule(self, ref: str, previous: Task | None = None) -> Task:
        node = self.ctx.plan.nodes[ref]
        self.index.require(node.refs)
        wf = self.wf
        task = new_task(self.ctx, wf, node, previous)
        doc = ParamDoc(wf, self.index)
        task.inputData = resolve_input(node, doc, task.taskId, self.ctx.env, previous)
        wf.taskCount += 1
        task.seq = wf.taskCount
        self.live[task.taskId] = task
        self.index.note(task)
        self.d.new_tasks.append(task)
        self.scheduled_any = True
        self.history(task, "task_scheduled", None, task.status.value, task.reasonForIncompletion)
        self.enqueue(task)
        return task

    def enqueue(self, task: Task) -> None:
        from podium.engine.domains import queue_name

        visible = self.ctx.now + task.callbackAfterSeconds * 1000
        name = queue_name(
            task.taskType, task.domain, task.executionNameSpace, task.isolationGroupId
        )
        entry = QueueEntry(
            name, task.taskId, task.workflowInstanceId, visible, task.workflowPriority
        )
        self.d.queue.append(entry)

    def retry(self, task: Task, node: Node) -> None:
        self.note_failed(task)
        task.retried = True
        self.changed(task)
        retry = self.schedule(task.ref_base, previous=task)
        delay = retry_delay_seconds(node.td, task.retryCount, self.ctx.jitter())
        retry.callbackAfterSeconds = delay
        retry.startDelayInSeconds = delay
        self.d.queue[-1] = QueueEntry(
            self.d.queue[-1].queue,
            retry.taskId,
            retry.workflowInstanceId,
            self.ctx.now + delay * 1000,
            retry.workflowPriority,
        )

    def retry_now(self, failed: Task) -> None:
        """An operator's retry: a new attempt at once, whatever the retry count."""
        task = self.live.get(failed.taskId) or failed.copy()
        task.retried = True
        self.changed(task)
        self.schedule(task.ref_base, previous=task)

    # -- statuses ----------------------------------------------------------------------------
    def set_status(self, task: Task, status: TaskStatus, reason: str | None) -> None:
        before = task.status
        task.status = status
        task.reasonForIncompletion = reason
        if status.terminal and not task.endTime:
            task.endTime = self.ctx.now
        task.updateTime = self.ctx.now
        self.changed(task)
        self.history(task, "task_status", before.value, status.value, reason)

    def note_failed(self, task: Task) -> None:
        if task.status in _FAILED_NAMES:
            if task.referenceTaskName not in self.wf.failedReferenceTaskNames:
                self.wf.failedReferenceTaskNames.append(task.referenceTaskName)
            if task.taskDefName not in self.wf.failedTaskNames:
                self.wf.failedTaskNames.append(task.taskDefName)

    def changed(self, task: Task) -> None:
        if all(task is not t for t in self.d.new_tasks):
            self.d.changed[task.taskId] = task
        self.index.note(task)

    # -- ending ------------------------------------------------------------------------------
    def fail_with(self, task: Task) -> None:
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
        self.finish()

    def complete(self) -> None:
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

    def end(self, status: WorkflowStatus, reason: str | None, *, failure: bool = True) -> None:
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
        wf.output = self.output()
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

    # -- bookkeeping -------------------------------------------------------------------------
    def history(
        self, task: Task, event: str, before: str | None, after: str | None, reason: str | None
    ) -> None:
        self.d.history.append(
            HistoryEvent(
                task.workflowInstanceId,
                self.ctx.now,
                event,
                self.ctx.actor,
                self.ctx.node,
                task_id=task.taskId,
                ref=task.referenceTaskName,
                from_status=before,
                to_status=after,
                reason=reason,
            )
        )

    def finish(self) -> None:
        """Compute when each touched task must next be checked for timeouts."""
        touched = [*self.d.new_tasks, *self.d.changed.values()]
        plan = self.ctx.plan
        for task in touched:
            node = plan.node(task.ref_base)
            if node is None:
                self.d.check_at[task.taskId] = 0
                continue
            self.d.check_at[task.taskId] = next_check_at(
                task, node.td, async_complete=node.wt.asyncComplete
            )
