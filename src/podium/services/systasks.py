"""Claiming and reporting the tasks the server runs itself (HTTP, SUB_WORKFLOW, timed WAIT...)."""

from __future__ import annotations

from typing import Any

from podium.engine.taskdefs import task_def_of
from podium.engine.timeouts import next_check_at
from podium.model.executions import HistoryEvent, QueueEntry, Task
from podium.model.statuses import TaskStatus
from podium.services.context import ServiceContext
from podium.services.unit import unit_of_work

__all__ = ["SystemTasks"]


class SystemTasks:
    """The system-task runner's side of the queue: claim with a lease, report progress."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def claim(self, queue: str, count: int, lease_ms: int) -> list[Task]:
        """Take due tasks of a system queue and keep their entries hidden for `lease_ms`.

        The entry stays (only hidden), so a task whose runner died is claimed again after the
        lease: at-least-once, like a worker's response timeout.
        """
        now = self.ctx.clock()
        async with unit_of_work(self.ctx) as unit:
            tx = unit.tx
            claimed: list[Task] = []
            for task in await tx.pop_tasks(queue, count, now):
                # Not locked: waiting for a workflow while holding queue rows could deadlock
                # with a decision that holds the workflow and deletes those rows. A terminate
                # racing this claim still cancels the task; the runner's report is then refused.
                wf = await tx.get_workflow(task.workflowInstanceId, lock=False)
                if task.status.terminal or wf is None or wf.status.terminal:
                    continue
                before = task.status
                if before is TaskStatus.SCHEDULED:
                    task.status = TaskStatus.IN_PROGRESS
                    task.startTime = task.startTime or now
                task.pollCount += 1
                task.updateTime = now
                task.workerId = self.ctx.node
                claimed.append(task)
                await tx.append_history([self._event(task, "task_claimed", before)])
            if claimed:
                await tx.update_tasks(claimed, [next_check_at(t, task_def_of(t)) for t in claimed])
                await tx.push(
                    [
                        QueueEntry(
                            queue,
                            t.taskId,
                            t.workflowInstanceId,
                            now + lease_ms,
                            t.workflowPriority,
                        )
                        for t in claimed
                    ]
                )
        return claimed

    async def started(self, task: Task, output: dict[str, Any], sub_workflow_id: str) -> None:
        """A SUB_WORKFLOW task's child is running: record it and take the task off its queue."""
        async with unit_of_work(self.ctx) as unit:
            current = await unit.tx.get_task(task.taskId)
            if current is None or current.status.terminal:
                return
            current.subWorkflowId = sub_workflow_id
            current.outputData = {**current.outputData, **output}
            current.updateTime = self.ctx.clock()
            await unit.tx.update_tasks([current], [0])
            await unit.tx.unqueue([current.taskId])
            await unit.tx.append_history(
                [self._event(current, "task_subworkflow_started", current.status)]
            )

    def _event(self, task: Task, event: str, before: TaskStatus) -> HistoryEvent:
        return HistoryEvent(
            task.workflowInstanceId,
            self.ctx.clock(),
            event,
            "system-task-runner",
            self.ctx.node,
            task_id=task.taskId,
            ref=task.referenceTaskName,
            from_status=before.value,
            to_status=task.status.value,
        )
