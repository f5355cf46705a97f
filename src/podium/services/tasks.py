"""Worker-facing use cases: poll (long poll), update, update-and-poll, lease extension."""

from __future__ import annotations

import functools
import time

from podium.engine.domains import queue_name
from podium.engine.taskdefs import is_worker_type, task_def_of
from podium.engine.timeouts import next_check_at
from podium.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ValidationFailed,
    Violation,
)
from podium.model.executions import HistoryEvent, PollData, QueueEntry, Task, Workflow
from podium.model.requests import TaskResult
from podium.model.statuses import TaskStatus
from podium.services.context import ServiceContext
from podium.services.decisions import Decisions
from podium.services.plans import Plans
from podium.services.unit import Unit, unit_of_work

__all__ = ["TaskService"]

_POLL_PERSIST_MS = 1000


def _log_time(created: int | None, now: int) -> int:
    """Python SDK exception logs carry epoch seconds, context logs milliseconds."""
    if not created:
        return now
    return created * 1000 if created < 100_000_000_000 else created


class TaskService:
    """Poll and update task attempts."""

    def __init__(self, ctx: ServiceContext, plans: Plans, decisions: Decisions) -> None:
        self.ctx = ctx
        self.plans = plans
        self.decisions = decisions
        self._persisted_polls: dict[tuple[str, str, str | None], int] = {}

    # -- polling -----------------------------------------------------------------------------
    async def poll(
        self,
        task_type: str,
        *,
        worker_id: str | None,
        domain: str | None,
        count: int = 1,
        timeout_ms: int = 100,
    ) -> list[Task]:
        """Claim up to `count` tasks, waiting up to `timeout_ms` for one to be queued."""
        limits = self.ctx.limits
        if timeout_ms > limits.max_poll_timeout_ms:
            raise BadRequest(
                f"Long Poll Timeout value cannot be more than {limits.max_poll_timeout_ms} ms"
            )
        if count < 1 or count > limits.max_batch_poll:
            raise BadRequest(f"count must be between 1 and {limits.max_batch_poll}")
        queue = queue_name(task_type, domain)
        started = time.perf_counter()
        deadline = time.monotonic() + max(0, timeout_ms) / 1000
        while True:
            async with unit_of_work(self.ctx) as unit:
                tasks = await self.claim(unit, task_type, domain, worker_id, count)
                upcoming = None if tasks else await unit.tx.next_visible_at(queue)
            remaining = deadline - time.monotonic()
            if tasks or remaining <= 0:
                self.ctx.observer.tasks_polled(
                    task_type, domain, len(tasks), time.perf_counter() - started
                )
                return tasks
            if upcoming is not None:
                remaining = min(remaining, max(0.001, (upcoming - self.ctx.clock()) / 1000))
            await self.ctx.wakeups.wait(queue, remaining)

    async def claim(
        self, unit: Unit, task_type: str, domain: str | None, worker_id: str | None, count: int
    ) -> list[Task]:
        """Pop and start up to `count` tasks of a queue inside the unit's transaction."""
        tx = unit.tx
        now = self.ctx.clock()
        await self._record_poll(unit, task_type, domain, worker_id, now)
        queue = queue_name(task_type, domain)
        popped = await tx.pop_tasks(queue, count, now)
        if not popped:
            return []
        unit.claimed.update(t.taskId for t in popped)
        claimed: list[Task] = []
        postponed: list[QueueEntry] = []
        for task in popped:
            if task.status is not TaskStatus.SCHEDULED:
                continue
            if await self._limited(unit, task, len(claimed)):
                postponed.append(
                    QueueEntry(
                        queue,
                        task.taskId,
                        task.workflowInstanceId,
                        now + self.ctx.limits.postpone_limited_ms,
                        task.workflowPriority,
                    )
                )
                continue
            claimed.append(self._start(task, worker_id, now))
        if postponed:
            await tx.push(postponed)
        if claimed:
            await tx.update_tasks(claimed, [next_check_at(t, task_def_of(t)) for t in claimed])
            await tx.append_history(
                [
                    self._event(
                        t,
                        "task_polled",
                        TaskStatus.SCHEDULED,
                        TaskStatus.IN_PROGRESS,
                        None,
                        worker_id,
                        now,
                    )
                    for t in claimed
                ]
            )
        return claimed

    def _start(self, task: Task, worker_id: str | None, now: int) -> Task:
        wait = now - task.scheduledTime - task.callbackAfterSeconds * 1000
        self.ctx.observer.task_queue_wait(task.taskType, max(0, wait))
        task.status = TaskStatus.IN_PROGRESS
        task.startTime = task.startTime or now
        task.callbackAfterSeconds = 0
        task.workerId = worker_id
        task.pollCount += 1
        task.updateTime = now
        return task

    async def _limited(self, unit: Unit, task: Task, claimed_now: int) -> bool:
        """Concurrency and rate limits of the task's definition (Conductor 6.13)."""
        td = task_def_of(task)
        limit = td.concurrentExecLimit or 0
        if limit > 0:
            running = await unit.tx.count_in_progress(task.taskDefName)
            if running + claimed_now >= limit:
                return True
        per = task.rateLimitPerFrequency or 0
        if per > 0:
            window = max(1, task.rateLimitFrequencyInSeconds or 1) * 1000
            started = await unit.tx.count_started_since(task.taskDefName, self.ctx.clock() - window)
            return started + claimed_now >= per
        return False

    async def _record_poll(
        self, unit: Unit, task_type: str, domain: str | None, worker_id: str | None, now: int
    ) -> None:
        self.ctx.last_polls[(task_type, domain or "")] = now
        key = (task_type, domain or "", worker_id)
        if now - self._persisted_polls.get(key, 0) >= _POLL_PERSIST_MS:
            self._persisted_polls[key] = now
            await unit.tx.record_poll(PollData(task_type, domain, worker_id, now))

    # -- updates -----------------------------------------------------------------------------
    async def update(
        self,
        result: TaskResult,
        *,
        then_poll: bool = False,
        only_types: frozenset[str] | None = None,
        actor: str | None = None,
    ) -> tuple[Task, Task | None]:
        """Apply a worker's result and decide; with `then_poll` claim its next task too.
        `only_types`: the task types the caller may work on (None: all); another type's task
        is refused (403) and nothing changes. `actor`: who the history names when an operator
        reports the result (None: `worker:<workerId>`).

        A result for an attempt that is no longer live changes nothing. It is recorded in the
        history and counted, then refused with a Conflict (409) — or, with the Conductor-
        compatible `stale_updates="ignore"` policy, acknowledged as if applied.
        """
        _check_ids(result)
        started = time.perf_counter()
        upcoming = None
        async with unit_of_work(self.ctx) as unit:
            # Lock the workflow first (a row lock on PostgreSQL), then read the task: two
            # updates of one attempt on different nodes must see each other's result.
            wf, attempt, pending = await unit.tx.lock_with_tasks(
                result.workflowInstanceId, result.taskId or ""
            )
            task = _checked_task(attempt, result)
            if wf is None:
                raise NotFound(f"No such workflow found by id: {task.workflowInstanceId}")
            if only_types is not None and task.taskType not in only_types:
                raise Forbidden(f"No EXECUTE permission on task {task.taskType}")
            refusal = _refusal(task, wf)
            if refusal is not None and _is_resend(task, result):
                # The worker resends the result this attempt already ended with (its first
                # answer was lost, e.g. a 503 although the commit went through): acknowledge.
                await unit.tx.append_history(
                    [
                        self._event(
                            task,
                            "task_update_repeated",
                            task.status,
                            task.status,
                            None,
                            result.workerId,
                            actor=actor,
                        )
                    ]
                )
                return task, None
            if refusal is not None:
                await self._record_refusal(unit, task, result, refusal, actor)
            elif result.extendLease:
                await self._extend_lease(unit, task, actor)
            else:
                await self._apply(unit, wf, task, result, pending, actor)
                if then_poll and task.status.terminal:
                    found = await self.claim(unit, task.taskType, task.domain, result.workerId, 1)
                    upcoming = found[0] if found else None
                    self.ctx.observer.tasks_polled(task.taskType, task.domain, len(found), 0.0)
        if refusal is not None:
            if self.ctx.reject_stale_updates:
                raise Conflict(refusal)
            return task, None
        self.ctx.observer.task_updated(
            task.taskType, task.status.value, time.perf_counter() - started
        )
        return task, upcoming

    async def _record_refusal(
        self, unit: Unit, task: Task, result: TaskResult, refusal: str, actor: str | None
    ) -> None:
        reported = result.status.value if result.status is not None else None
        event = self._event(
            task,
            "task_update_rejected",
            task.status,
            reported,
            refusal,
            result.workerId,
            actor=actor,
        )
        await unit.tx.append_history([event])
        observer = self.ctx.observer
        unit.report(
            functools.partial(
                observer.task_update_conflict,
                task.taskType,
                task.workflowInstanceId,
                task.taskId,
                refusal,
            )
        )

    async def _extend_lease(self, unit: Unit, task: Task, actor: str | None) -> None:
        now = self.ctx.clock()
        task.updateTime = now
        await unit.tx.update_tasks([task], [next_check_at(task, task_def_of(task))])
        await unit.tx.append_history(
            [
                self._event(
                    task,
                    "task_lease_extended",
                    task.status,
                    task.status,
                    None,
                    task.workerId,
                    actor=actor,
                )
            ]
        )

    async def _apply(
        self,
        unit: Unit,
        wf: Workflow,
        task: Task,
        result: TaskResult,
        pending: list[Task],
        actor: str | None,
    ) -> None:
        tx = unit.tx
        now = self.ctx.clock()
        before = task.status
        _merge_result(task, result, now)
        if result.logs:
            logs = [(str(entry.log), _log_time(entry.createdTime, now)) for entry in result.logs]
            await tx.add_task_logs(task.taskId, logs)
        event = self._event(
            task,
            "task_updated",
            before,
            task.status,
            task.reasonForIncompletion,
            result.workerId or task.workerId,
            actor=actor,
        )
        await tx.append_history([event])
        # A worker's task that was IN_PROGRESS was taken off its queue when it was claimed.
        claimed = before is TaskStatus.IN_PROGRESS and is_worker_type(task.taskType)
        await self.settle(
            unit,
            wf,
            task,
            actor=actor or f"worker:{task.workerId or '-'}",
            pending=pending,
            off_queue=claimed,
        )

    async def settle(
        self,
        unit: Unit,
        wf: Workflow,
        task: Task,
        *,
        actor: str,
        pending: list[Task] | None = None,
        off_queue: bool = False,
    ) -> None:
        """Store a task's new state and, once it has ended, decide its workflow (`pending`:
        its pending tasks, if just read under the workflow's lock; `off_queue`: the task is
        known to have no queue entry, which spares a statement on the hot path. A stray
        entry would do no harm: a claim drops entries of tasks no longer SCHEDULED)."""
        if not task.status.terminal:
            if is_worker_type(task.taskType):
                await self._requeue_after_callback(unit, task, self.ctx.clock())
            else:  # a system task stays IN_PROGRESS (off its queue) until its final result
                task.status = TaskStatus.IN_PROGRESS
                await unit.tx.update_tasks([task], [next_check_at(task, task_def_of(task))])
                await unit.tx.unqueue([task.taskId])
            return
        if not off_queue:
            await unit.tx.unqueue([task.taskId])
        plan = await self.plans.for_digest(unit.tx, wf.defHash)
        decision = await self.decisions.run(
            unit, wf, plan, actor=actor, overrides={task.taskId: task}, pending=pending
        )
        if task.taskId not in decision.changed:
            await unit.tx.update_tasks([task], [0])

    async def _requeue_after_callback(self, unit: Unit, task: Task, now: int) -> None:
        """An IN_PROGRESS result: the task is polled again after callbackAfterSeconds."""
        task.status = TaskStatus.SCHEDULED
        queue = queue_name(
            task.taskType, task.domain, task.executionNameSpace, task.isolationGroupId
        )
        visible = now + task.callbackAfterSeconds * 1000
        await unit.tx.push(
            [
                QueueEntry(
                    queue, task.taskId, task.workflowInstanceId, visible, task.workflowPriority
                )
            ]
        )
        await unit.tx.update_tasks([task], [next_check_at(task, task_def_of(task))])
        unit.wake.add(queue)

    def _event(
        self,
        task: Task,
        event: str,
        before: TaskStatus,
        after: TaskStatus | str | None,
        reason: str | None,
        worker_id: str | None,
        at: int | None = None,
        *,
        actor: str | None = None,
    ) -> HistoryEvent:
        """A history record of a worker's (or, naming `actor`, an operator's) action on a task
        attempt."""
        return HistoryEvent(
            task.workflowInstanceId,
            self.ctx.clock() if at is None else at,
            event,
            actor or f"worker:{worker_id or '-'}",
            self.ctx.node,
            task_id=task.taskId,
            ref=task.referenceTaskName,
            from_status=before.value,
            to_status=after.value if isinstance(after, TaskStatus) else after,
            reason=reason,
        )


def _refusal(task: Task, wf: Workflow) -> str | None:
    """Why a result for this attempt cannot be applied, or None when it is live."""
    if task.status.terminal:
        return (
            f"Task {task.taskId} is already {task.status.value}; "
            "this update of a finished attempt was not applied"
        )
    if wf.status.terminal:
        return (
            f"Workflow {wf.workflowId} is {wf.status.value}; "
            f"the update of task {task.taskId} was not applied"
        )
    return None


def _is_resend(task: Task, result: TaskResult) -> bool:
    """Whether `result` is exactly the final result this attempt has already recorded."""
    return (
        task.status.terminal
        and result.status is not None
        and result.status.value == task.status.value
        and dict(result.outputData or {}) == task.outputData
        and (result.reasonForIncompletion or None) == (task.reasonForIncompletion or None)
        and (not result.workerId or result.workerId == task.workerId)
    )


def _check_ids(result: TaskResult) -> None:
    violations = []
    if not result.workflowInstanceId:
        violations.append(Violation("workflowInstanceId", "Workflow Id cannot be null or empty"))
    if not result.taskId:
        violations.append(Violation("taskId", "Task ID cannot be null or empty"))
    if violations:
        raise ValidationFailed(violations)


def _merge_result(task: Task, result: TaskResult, now: int) -> None:
    if result.status is not None:
        task.status = TaskStatus(result.status.value)
    task.reasonForIncompletion = result.reasonForIncompletion
    task.workerId = result.workerId or task.workerId
    task.callbackAfterSeconds = int(result.callbackAfterSeconds or 0)
    task.outputData = dict(result.outputData or {})
    task.updateTime = now
    if result.subWorkflowId:
        task.subWorkflowId = result.subWorkflowId
    if result.externalOutputPayloadStoragePath:
        task.externalOutputPayloadStoragePath = result.externalOutputPayloadStoragePath
    if task.status.terminal:
        task.endTime = now


def _checked_task(task: Task | None, result: TaskResult) -> Task:
    """The attempt a result names, which must belong to the workflow the result names."""
    if task is None:
        raise NotFound(f"Task not found for taskId: {result.taskId}")
    if task.workflowInstanceId != result.workflowInstanceId:
        raise BadRequest(
            f"Task {task.taskId} belongs to workflow {task.workflowInstanceId}, "
            f"not {result.workflowInstanceId}"
        )
    return task
