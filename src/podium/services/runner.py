"""The system-task runner: does the I/O of HTTP, SUB_WORKFLOW, START_WORKFLOW, EVENT and timed
WAIT tasks, outside any decision, and reports each result like a worker does."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from podium.engine.lookup import workflow_doc
from podium.engine.mappers.external import system_queue
from podium.engine.mappers.waiting import WAIT_QUEUE
from podium.errors import Conflict, PodiumError, StoreUnavailable
from podium.events.bus import EventBusError, EventBuses
from podium.expr.params import resolve_value
from podium.model.executions import Task, Workflow
from podium.model.requests import StartWorkflowRequest, TaskResult, TaskResultStatus
from podium.services.context import ServiceContext
from podium.services.starting import Starter
from podium.services.systasks import SystemTasks
from podium.services.tasks import TaskService
from podium.services.unit import unit_of_work
from podium.systasks.http import OutboundGuard, new_client, run_http_task

__all__ = ["SystemTaskRunner"]

log = logging.getLogger("podium.runner")

Outcome = tuple[TaskResultStatus, dict[str, Any], str | None]
Handler = Callable[[Task], Awaitable[Outcome | None]]

_IDLE_S = 1.0
# Completing a timed WAIT is one transaction, so its claim needs only a short lease: a node
# that dies holding one delays its workflow by seconds, not by the lease of an HTTP call.
_WAIT_LEASE_MS = 10_000
# Waits before reporting a system task's outcome again while the database is away; together
# under the shortest lease, after which the task would run again anyway.
_REPORT_RETRIES_S = (0.2, 0.5, 1.0, 2.0, 4.0)


class SystemTaskRunner:
    """One loop per server: claims due system tasks and runs them concurrently."""

    def __init__(
        self,
        ctx: ServiceContext,
        system: SystemTasks,
        tasks: TaskService,
        starter: Starter,
        *,
        guard: OutboundGuard,
        concurrency: int = 32,
        lease_ms: int = 60_000,
        buses: EventBuses | None = None,
    ) -> None:
        self.ctx, self.system, self.tasks, self.starter = ctx, system, tasks, starter
        self.buses = buses or EventBuses({})
        self.guard = guard
        self.lease_ms = lease_ms
        self._slots = asyncio.Semaphore(concurrency)
        self._client: httpx.AsyncClient | None = None
        self.handlers: dict[str, Handler] = {
            WAIT_QUEUE: self._wait_done,
            system_queue("HTTP"): self._http,
            system_queue("SUB_WORKFLOW"): self._sub_workflow,
            system_queue("START_WORKFLOW"): self._start_workflow,
            system_queue("EVENT"): self._event,
            system_queue("KAFKA_PUBLISH"): self._kafka,
        }

    async def run(self) -> None:
        """Claim and run system tasks until cancelled."""
        self._client = new_client()
        running: set[asyncio.Task[None]] = set()
        try:
            while True:
                for queue, handler in self.handlers.items():
                    for task in await self._claim(queue):
                        job = asyncio.create_task(self._run_one(handler, task))
                        running.add(job)
                        job.add_done_callback(running.discard)
                await self.ctx.wakeups.wait_any(list(self.handlers), _IDLE_S)
        finally:
            for job in list(running):
                job.cancel()
            with contextlib.suppress(Exception):
                await self._client.aclose()

    async def _claim(self, queue: str) -> list[Task]:
        try:
            lease_ms = min(self.lease_ms, _WAIT_LEASE_MS) if queue == WAIT_QUEUE else self.lease_ms
            return await self.system.claim(queue, 100, lease_ms)
        except Exception as exc:  # the database is away, or a bug: claim again on the next turn
            log.warning(
                "claim failed",
                exc_info=not isinstance(exc, PodiumError),
                extra={"action": "system_claim_failed", "queue": queue, "error": str(exc)},
            )
            return []

    async def _run_one(self, handler: Handler, task: Task) -> None:
        async with self._slots:
            try:
                outcome = await handler(task)
            except StoreUnavailable as exc:  # not the task's fault: it runs again after the lease
                log.warning(
                    "system task postponed",
                    extra={
                        "action": "system_task_postponed",
                        "taskId": task.taskId,
                        "error": exc.message,
                    },
                )
                return
            except Exception as exc:  # a bug in one task must not stop the runner
                log.exception(
                    "system task crashed",
                    extra={"action": "system_task_crashed", "taskId": task.taskId},
                )
                outcome = (TaskResultStatus.FAILED, {}, f"Internal error: {type(exc).__name__}")
            if outcome is not None:
                await self._report(task, outcome)

    async def _report(self, task: Task, outcome: Outcome) -> None:
        status, output, reason = outcome
        if status is TaskResultStatus.COMPLETED and (task.workflowTask or {}).get("asyncComplete"):
            status = TaskResultStatus.IN_PROGRESS  # completed later from outside (API, event)
        result = TaskResult(
            workflowInstanceId=task.workflowInstanceId,
            taskId=task.taskId,
            status=status,
            outputData=output,
            reasonForIncompletion=reason,
            workerId=self.ctx.node,
        )
        for delay in (*_REPORT_RETRIES_S, None):
            try:
                await self.tasks.update(result)
            except Conflict:  # finished meanwhile (signal, terminate...)
                return
            except StoreUnavailable as exc:
                log.warning(
                    "system task report failed",
                    extra={
                        "action": "system_task_report_failed",
                        "taskId": task.taskId,
                        "error": exc.message,
                    },
                )
                if delay is None:
                    return  # the lease runs out and a claim runs the task again
                await asyncio.sleep(delay)
            else:
                return

    # -- handlers ------------------------------------------------------------------------------
    async def _wait_done(self, task: Task) -> Outcome:
        return TaskResultStatus.COMPLETED, dict(task.outputData), None

    async def _http(self, task: Task) -> Outcome:
        assert self._client is not None
        outcome = await run_http_task(task.inputData, self._client, self.guard)
        return TaskResultStatus(outcome.status), outcome.output, outcome.reason

    async def _kafka(self, task: Task) -> Outcome:
        return TaskResultStatus.FAILED, {}, "Kafka is not configured on this server"

    async def _event(self, task: Task) -> Outcome | None:
        """EVENT: publish the task input (plus where it comes from) to the sink's queue."""
        async with unit_of_work(self.ctx) as unit:
            wf = await unit.tx.get_workflow(task.workflowInstanceId, lock=False)
        if wf is None:
            return None
        defined = task.workflowTask or {}
        sink = task.inputData.get("sink") or resolve_value(defined.get("sink"), _doc(wf))
        event = _event_name(str(sink or ""), task)
        payload = {
            **task.inputData,
            "workflowInstanceId": task.workflowInstanceId,
            "workflowType": wf.workflowName,
            "workflowVersion": wf.workflowVersion,
            "correlationId": wf.correlationId,
            "taskToDomain": wf.taskToDomain,
        }
        output = {**payload, "event_produced": event}
        waits = bool(defined.get("asyncComplete") or task.inputData.get("asyncComplete"))
        if waits:
            # Stays IN_PROGRESS until an event handler or an API call completes it; the output
            # is recorded before publishing, since a handler may complete the task at once.
            await self._report(task, (TaskResultStatus.IN_PROGRESS, output, None))
        try:
            await self.buses.publish(event, payload)
        except EventBusError as exc:
            return TaskResultStatus.FAILED, {}, exc.message
        if not waits:
            return TaskResultStatus.COMPLETED, output, None
        async with unit_of_work(self.ctx) as unit:
            await unit.tx.unqueue([task.taskId])  # published: no re-run after the lease
        return None

    async def _start_workflow(self, task: Task) -> Outcome:
        raw = task.inputData.get("startWorkflow")
        if not isinstance(raw, dict):
            return TaskResultStatus.FAILED, {}, "START_WORKFLOW needs a startWorkflow request"
        async with unit_of_work(self.ctx) as unit:
            parent = await unit.tx.get_workflow(task.workflowInstanceId, lock=False)
        inherited = {
            "correlationId": raw.get("correlationId") or (parent.correlationId if parent else None),
            "taskToDomain": raw.get("taskToDomain") or (parent.taskToDomain if parent else {}),
        }
        try:
            request = StartWorkflowRequest.model_validate({**raw, **inherited})
            async with unit_of_work(self.ctx) as unit:
                started = await self.starter.start(unit, request, actor=f"task:{task.taskId}")
        except StoreUnavailable:
            raise
        except (PodiumError, ValueError) as exc:
            return TaskResultStatus.FAILED, {}, f"Unable to start the workflow: {exc}"
        return TaskResultStatus.COMPLETED, {"workflowId": started}, None

    async def _sub_workflow(self, task: Task) -> Outcome | None:
        child_id = str(
            uuid.uuid3(
                uuid.NAMESPACE_URL,
                f"subworkflow:{task.workflowInstanceId}:{task.taskId}:{task.retryCount}",
            )
        )
        try:
            async with unit_of_work(self.ctx) as unit:
                if await unit.tx.get_workflow(child_id, lock=False) is None:
                    request = self._child_request(
                        task, await unit.tx.get_workflow(task.workflowInstanceId, lock=False)
                    )
                    await self.starter.start(
                        unit,
                        request,
                        actor=f"task:{task.taskId}",
                        workflow_id=child_id,
                        parent_workflow_id=task.workflowInstanceId,
                        parent_task_id=task.taskId,
                    )
        except StoreUnavailable:
            raise
        except (PodiumError, ValueError) as exc:
            return TaskResultStatus.FAILED, {}, f"Unable to start the sub workflow: {exc}"
        await self.system.started(task, {"subWorkflowId": child_id}, child_id)
        return None

    def _child_request(self, task: Task, parent: Any) -> StartWorkflowRequest:
        data = task.inputData
        definition = data.get("subWorkflowDefinition")
        workflow_input = data.get("workflowInput") or {}
        return StartWorkflowRequest.model_validate(
            {
                "name": data.get("subWorkflowName") or (definition or {}).get("name") or "",
                "version": data.get("subWorkflowVersion"),
                "input": workflow_input if isinstance(workflow_input, dict) else {},
                "correlationId": parent.correlationId if parent else None,
                "taskToDomain": data.get("subWorkflowTaskToDomain")
                or (parent.taskToDomain if parent else {}),
                "workflowDef": definition if isinstance(definition, dict) else None,
                "priority": data.get("priority") or 0,
            }
        )


def _event_name(sink: str, task: Task) -> str:
    """Conductor's `Event.getQueueName`: `conductor[:name]` becomes `conductor:<wf>:<name>`."""
    if sink != "conductor" and not sink.startswith("conductor:"):
        return sink
    queue = sink.removeprefix("conductor").removeprefix(":") or task.referenceTaskName
    return f"conductor:{task.workflowType}:{queue}"


def _doc(wf: Workflow) -> dict[str, Any]:
    return {"workflow": workflow_doc(wf)}
