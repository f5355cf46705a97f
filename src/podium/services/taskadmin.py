"""Reading tasks and queues, and updates addressed by reference name."""

from __future__ import annotations

from podium.engine.domains import queue_name
from podium.engine.taskdefs import is_worker_type
from podium.errors import BadRequest, NotFound
from podium.model.executions import PollData, QueueEntry, Task
from podium.model.requests import TaskResult, TaskResultStatus
from podium.model.statuses import TaskStatus
from podium.services.context import ServiceContext
from podium.services.tasks import TaskService
from podium.services.unit import unit_of_work
from podium.store import Page, SearchRequest

__all__ = ["TaskAdmin"]

# How deep `signal` looks into nested sub-workflows.
_MAX_DEPTH = 32


class TaskAdmin:
    """Everything about tasks that is not the worker's poll/update loop."""

    def __init__(self, ctx: ServiceContext, tasks: TaskService) -> None:
        self.ctx = ctx
        self.tasks = tasks

    async def get(self, task_id: str) -> Task:
        async with unit_of_work(self.ctx) as unit:
            task = await unit.tx.get_task(task_id)
        if task is None:
            raise NotFound(f"Task not found for taskId: {task_id}")
        return task

    async def add_log(self, task_id: str, line: str) -> None:
        async with unit_of_work(self.ctx) as unit:
            if await unit.tx.get_task(task_id) is None:
                raise NotFound(f"Task not found for taskId: {task_id}")
            await unit.tx.add_task_logs(task_id, [(line, self.ctx.clock())])

    async def logs(self, task_id: str) -> list[tuple[str, int]]:
        async with unit_of_work(self.ctx) as unit:
            return await unit.tx.task_logs(task_id)

    async def update_by_ref(
        self,
        workflow_id: str,
        ref: str,
        status: str,
        output: dict[str, object],
        worker_id: str | None,
        *,
        actor: str | None = None,
    ) -> str | None:
        """Update the first live task with this reference name; None when there is none.
        `actor`: who the history names (None: the worker)."""
        result_status = _result_status(status)
        task = await self._live_by_ref(workflow_id, ref)
        if task is None:
            return None
        await self._complete(task, result_status, output, worker_id, actor)
        return task.taskId

    async def update_by_id(
        self,
        workflow_id: str,
        task_id: str,
        status: str,
        output: dict[str, object],
        *,
        actor: str | None = None,
    ) -> None:
        """Set the status of one exact attempt (409 when it is no longer live)."""
        task = await self.get(task_id)
        if task.workflowInstanceId != workflow_id:
            raise NotFound(f"Task {task_id} is not a task of workflow {workflow_id}")
        await self._complete(task, _result_status(status), output, None, actor)

    async def _complete(
        self,
        task: Task,
        status: TaskResultStatus,
        output: dict[str, object],
        worker: str | None,
        actor: str | None,
    ) -> None:
        result = TaskResult(
            workflowInstanceId=task.workflowInstanceId,
            taskId=task.taskId,
            status=status,
            outputData={**task.outputData, **output},
            workerId=worker or task.workerId,
        )
        await self.tasks.update(result, actor=actor)

    async def live_by_ref(self, workflow_id: str, ref: str) -> Task | None:
        """The live attempt with this reference name (loop suffix optional), if any."""
        return await self._live_by_ref(workflow_id, ref)

    async def _live_by_ref(self, workflow_id: str, ref: str) -> Task | None:
        async with unit_of_work(self.ctx) as unit:
            wf = await unit.tx.get_workflow(workflow_id, lock=False)
            if wf is None:
                raise NotFound(f"No such workflow found by id: {workflow_id}")
            for task in await unit.tx.pending_tasks(workflow_id):
                if ref in (task.referenceTaskName, task.ref_base) and not task.status.terminal:
                    return task
        return None

    async def signal(
        self,
        workflow_id: str,
        status: str,
        output: dict[str, object],
        *,
        depth: int = 0,
        actor: str | None = None,
    ) -> Task | None:
        """Complete (or fail) the first live WAIT task of an execution or of its running
        sub-workflows; None when nothing waits."""
        result_status = _result_status(status)
        async with unit_of_work(self.ctx) as unit:
            if await unit.tx.get_workflow(workflow_id, lock=False) is None:
                raise NotFound(f"No such workflow found by id: {workflow_id}")
            pending = await unit.tx.pending_tasks(workflow_id)
        for task in pending:
            if task.taskType == "WAIT" and not task.status.terminal:
                await self._complete(task, result_status, output, None, actor)
                return task
        for task in pending:
            if task.taskType == "SUB_WORKFLOW" and task.subWorkflowId and depth < _MAX_DEPTH:
                found = await self.signal(
                    task.subWorkflowId, status, output, depth=depth + 1, actor=actor
                )
                if found is not None:
                    return found
        return None

    async def search(self, request: SearchRequest) -> Page[Task]:
        async with unit_of_work(self.ctx) as unit:
            return await unit.tx.search_tasks(request)

    async def in_progress(self, task_type: str, start: int, count: int) -> list[Task]:
        async with unit_of_work(self.ctx) as unit:
            return await unit.tx.tasks_in_progress(task_type, start, count)

    async def queue_sizes(self) -> dict[str, int]:
        async with unit_of_work(self.ctx) as unit:
            return await unit.tx.queue_sizes(self.ctx.clock())

    async def queue_size(
        self,
        task_type: str,
        domain: str | None = None,
        isolation_group: str | None = None,
        namespace: str | None = None,
    ) -> int:
        sizes = await self.queue_sizes()
        return sizes.get(queue_name(task_type, domain, namespace, isolation_group), 0)

    async def queue_depths(self) -> dict[str, tuple[int, int]]:
        async with unit_of_work(self.ctx) as unit:
            return await unit.tx.queue_depths()

    async def poll_data(self, task_type: str | None) -> list[PollData]:
        async with unit_of_work(self.ctx) as unit:
            return await unit.tx.poll_data(task_type)

    async def requeue(self, task_type: str) -> int:
        """Re-push SCHEDULED worker tasks of a type that lost their queue entry."""
        if not is_worker_type(task_type):
            return 0
        count = 0
        now = self.ctx.clock()
        async with unit_of_work(self.ctx) as unit:
            for task in await unit.tx.tasks_in_progress(task_type, 0, 100_000):
                if task.status is not TaskStatus.SCHEDULED:
                    continue
                queue = queue_name(
                    task.taskType, task.domain, task.executionNameSpace, task.isolationGroupId
                )
                if task.taskId in set(await unit.tx.queued_task_ids(queue)):
                    continue
                visible = now + task.callbackAfterSeconds * 1000
                await unit.tx.push(
                    [
                        QueueEntry(
                            queue,
                            task.taskId,
                            task.workflowInstanceId,
                            visible,
                            task.workflowPriority,
                        )
                    ]
                )
                unit.wake.add(queue)
                count += 1
        return count

    async def remove_from_queue(self, task_id: str) -> None:
        async with unit_of_work(self.ctx) as unit:
            await unit.tx.unqueue([task_id])


def _result_status(status: str) -> TaskResultStatus:
    try:
        return TaskResultStatus(status.upper())
    except ValueError as exc:
        allowed = ", ".join(s.value for s in TaskResultStatus)
        raise BadRequest(f"Invalid task status: {status} (allowed: {allowed})") from exc
