"""The decider: given a workflow's state, what happens next. A pure function.

`decide(ctx)` looks only at the workflow, its prepared definition, the attempts the decider has not
moved past yet (`ctx.pending`) and any task it asks for by reference name (it raises `NeedTasks`
and is run again). So its cost does not grow with the length of the history. Each task type's
behaviour lives in its mapper (`podium.engine.mappers`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from podium.engine.decision import DecideContext, Decision
from podium.engine.ending import Ending
from podium.engine.lookup import ParamDoc, TaskIndex
from podium.engine.mappers import LoopMapper, UnsupportedTask, mapper_of
from podium.engine.mapping import new_task, resolve_input
from podium.engine.plan import Node, Plan, dynamic_node
from podium.engine.retries import retry_delay_seconds, should_retry
from podium.engine.timeouts import check_task_timeouts, next_check_at
from podium.expr.params import referenced_roots, resolve_value
from podium.model.executions import HistoryEvent, QueueEntry, Task
from podium.model.statuses import TaskStatus, WorkflowStatus

__all__ = ["UnsupportedTask", "decide"]


def decide(ctx: DecideContext) -> Decision:
    """Run one decision over a workflow (see the module docstring)."""
    return _Run(ctx).run()


class _Run(Ending):
    """The state of one decision; discarded when the decider asks for more tasks."""

    def __init__(self, ctx: DecideContext) -> None:
        self.ctx = ctx
        self.wf = ctx.workflow.copy()
        self.wf.failedReferenceTaskNames = list(self.wf.failedReferenceTaskNames)
        self.wf.failedTaskNames = list(self.wf.failedTaskNames)
        self.wf.variables = dict(self.wf.variables)
        self.d = Decision(self.wf)
        src = ctx.tasks
        all_tasks = [t.copy() for t in src.all_tasks] if src.all_tasks is not None else None
        self.index = TaskIndex(src.latest_by_ref, src.absent, all_tasks, src.task_defs)
        self.live: dict[str, Task] = {}
        for task in ctx.pending:
            copy = task.copy()
            self.live[copy.taskId] = copy
            self.index.note(copy)
        self.work: deque[Task] = deque(self.live.values())
        self.changes = 0
        self._dynamic: dict[str, Node] = {}

    @property
    def plan(self) -> Plan:
        return self.ctx.plan

    @property
    def now(self) -> int:
        return self.ctx.now

    # -- the loop ----------------------------------------------------------------------------
    def run(self) -> Decision:
        wf = self.wf
        if wf.status.terminal:
            return self.d
        try:
            self._run()
        except UnsupportedTask as exc:
            if not self.d.ended:
                self.end(WorkflowStatus.FAILED, str(exc))
        self.finish()
        return self.d

    def _run(self) -> None:
        wf, ctx = self.wf, self.ctx
        if ctx.terminate is not None:
            order = ctx.terminate
            self.end(order.status, order.reason, failure=order.trigger_failure_workflow)
            return
        if wf.timeoutAt and ctx.now >= wf.timeoutAt:
            self.workflow_timed_out()
            return
        if wf.status is WorkflowStatus.PAUSED:
            return
        if wf.taskCount == 0:
            first = self.step_over_skipped(self.plan.first)
            if first is not None:
                self.schedule(first)
        for failed in ctx.retry:
            self.retry_now(failed)
        self.drain()
        if not self.d.ended and self.all_terminal():
            self.complete()

    def drain(self) -> None:
        """Process pending tasks; JOIN-like ones after the rest, again while things change."""
        deferred: list[Task] = []
        while not self.d.ended:
            while self.work and not self.d.ended:
                task = self.work.popleft()
                if self.is_deferred(task):
                    if all(task is not t for t in deferred):
                        deferred.append(task)
                else:
                    self.process(task)
            if self.d.ended or not deferred:
                return
            mark = self.changes
            for task in list(deferred):
                self.process(task)
            deferred = [t for t in deferred if not t.status.terminal and not t.done]
            if self.changes == mark and not self.work:
                return

    def is_deferred(self, task: Task) -> bool:
        return not task.status.terminal and mapper_of(self.node_of(task)).deferred

    def all_terminal(self) -> bool:
        return all(t.status.terminal for t in self.live.values())

    def process(self, task: Task) -> None:
        node = self.node_of(task)
        mapper = mapper_of(node)
        if not task.status.terminal:
            timed = check_task_timeouts(
                task, node.td, self.now, async_complete=node.wt.asyncComplete
            )
            if timed is None:
                mapper.execute(self, node, task)
                if not task.status.terminal:
                    return
            else:
                self.set_status(task, TaskStatus.TIMED_OUT, timed.reason)
                if timed.fails_workflow:
                    self.fail_with(task)
                    return
        if task.done:
            return
        if task.status.successful:
            self.advance(task, node)
        elif should_retry(task, node.wt, node.td, self.now):
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
        node = self.plan.node(task.ref_base)
        if node is not None and not (node.wt.type == "DYNAMIC" and task.taskType != "DYNAMIC"):
            return node
        cached = self._dynamic.get(task.referenceTaskName)
        if cached is None:
            if task.workflowTask is None:
                raise UnsupportedTask(
                    f"Task {task.referenceTaskName} is not in the workflow definition"
                )
            cached = self._dynamic[task.referenceTaskName] = dynamic_node(task.workflowTask)
        return cached

    # -- moving on ---------------------------------------------------------------------------
    def advance(self, task: Task, node: Node) -> None:
        task.executed = True
        self.changed(task)
        if not mapper_of(node).after_success(self, node, task):
            self.schedule_after(task, node)

    def schedule_after(self, task: Task, node: Node) -> None:
        nxt = self.step_over_skipped(node.next)
        if nxt is not None:
            next_node = self.plan.nodes[nxt]
            iteration = task.iteration if next_node.loop else 0
            if next_node.wt.type == "JOIN" and self._exists(nxt, iteration):
                return  # a fork branch ended: its JOIN is there already
            self.schedule(nxt, iteration=iteration)
        elif node.ends_loop is not None:
            self.loop_iteration_done(node.ends_loop)

    def _exists(self, ref: str, iteration: int) -> bool:
        found = self.index.latest(ref)
        return found is not None and found.iteration == iteration

    def loop_iteration_done(self, loop_ref: str) -> None:
        loop_task = self.index.latest(loop_ref)
        if loop_task is not None and not loop_task.status.terminal:
            loop_node = self.plan.nodes[loop_ref]
            mapper = mapper_of(loop_node)
            assert isinstance(mapper, LoopMapper)
            mapper.iteration_done(self, loop_node, loop_task)
            self.revisit(loop_task)  # advanced by process() once it has ended

    def step_over_skipped(self, ref: str | None) -> str | None:
        skipped = self.wf.skippedRefs
        while ref is not None and ref in skipped:
            node = self.plan.node(ref)
            ref = node.next if node else None
        return ref

    def schedule(
        self, ref: str, *, iteration: int = 0, previous: Task | None = None, delay: int = 0
    ) -> Task:
        return self._create(self.plan.nodes[ref], iteration, previous, delay)

    def schedule_dynamic(self, wt_json: Mapping[str, Any], *, iteration: int = 0) -> Task:
        node = dynamic_node(dict(wt_json))
        self._dynamic[node.wt.taskReferenceName] = node
        return self._create(node, iteration, None, 0)

    def _create(self, node: Node, iteration: int, previous: Task | None, delay: int) -> Task:
        self.index.require(node.refs)
        wf = self.wf
        mapper = mapper_of(node)
        task = new_task(self.ctx, wf, node, previous, mapper.task_type)
        if node.loop is not None and iteration > 0:
            task.referenceTaskName = f"{node.wt.taskReferenceName}__{iteration}"
            task.iteration = iteration
        if delay:
            task.callbackAfterSeconds = task.startDelayInSeconds = delay
        doc = ParamDoc(wf, self.index)
        task.inputData = resolve_input(node, doc, task.taskId, self.ctx.env, previous)
        wf.taskCount += 1
        task.seq = wf.taskCount
        self.live[task.taskId] = task
        self.index.note(task)
        self.d.new_tasks.append(task)
        self.changes += 1
        self.history(task, "task_scheduled", None, task.status.value, None)
        mapper.on_create(self, node, task)
        if task.status.terminal and mapper.depth_first:
            self.process(task)
        elif task.status.terminal or task.status is TaskStatus.IN_PROGRESS:
            self.work.append(task)
        return task

    def enqueue(self, task: Task, queue: str, delay_s: int = 0) -> None:
        visible = self.now + delay_s * 1000
        entry = QueueEntry(
            queue, task.taskId, task.workflowInstanceId, visible, task.workflowPriority
        )
        self.d.queue.append(entry)

    def revisit(self, task: Task) -> None:
        if all(task is not t for t in self.work):
            self.work.append(task)

    def resolve(self, value: Any) -> Any:
        self.index.require(referenced_roots(value) - {"workflow", "CPEWF_TASK_ID"})
        return resolve_value(value, ParamDoc(self.wf, self.index), env=self.ctx.env)

    def prune(self, refs: list[str], up_to_iteration: int) -> None:
        self.d.prune.append((tuple(refs), up_to_iteration))

    def retry(self, task: Task, node: Node) -> None:
        self.note_failed(task)
        task.retried = True
        self.changed(task)
        delay = retry_delay_seconds(node.td, task.retryCount, self.ctx.jitter())
        self._create(node, task.iteration, task, delay)

    def retry_now(self, failed: Task) -> None:
        """An operator's retry: a new attempt at once, whatever the retry count.

        JOIN, EXCLUSIVE_JOIN and DO_WHILE are reset in place instead (Conductor 6.9): a loop
        resumes at its iteration, a join waits again for its branches.
        """
        task = self.live.get(failed.taskId) or failed.copy()
        node = self.node_of(task)
        if mapper_of(node).deferred or isinstance(mapper_of(node), LoopMapper):
            task.endTime = 0
            task.executed = task.retried = False
            task.reasonForIncompletion = None
            self.live[task.taskId] = task
            self.set_status(task, TaskStatus.IN_PROGRESS)
            self.revisit(task)
            return
        task.retried = True
        self.changed(task)
        self._create(node, task.iteration, task, 0)

    # -- statuses ----------------------------------------------------------------------------
    def set_status(self, task: Task, status: TaskStatus, reason: str | None = None) -> None:
        before = task.status
        task.status = status
        task.reasonForIncompletion = reason
        if status.terminal and not task.endTime:
            task.endTime = self.now
        if status is TaskStatus.IN_PROGRESS and not task.startTime:
            task.startTime = self.now
        task.updateTime = self.now
        self.changed(task)
        self.history(task, "task_status", before.value, status.value, reason)

    def changed(self, task: Task) -> None:
        self.changes += 1
        if all(task is not t for t in self.d.new_tasks):
            self.d.changed[task.taskId] = task
        self.index.note(task)

    # -- bookkeeping -------------------------------------------------------------------------
    def history(
        self, task: Task, event: str, before: str | None, after: str | None, reason: str | None
    ) -> None:
        self.d.history.append(
            HistoryEvent(
                task.workflowInstanceId,
                self.now,
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
        for task in [*self.d.new_tasks, *self.d.changed.values()]:
            node = self.node_of(task)
            self.d.check_at[task.taskId] = next_check_at(
                task, node.td, async_complete=node.wt.asyncComplete
            )
