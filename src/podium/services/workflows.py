"""Starting, reading and searching executions, and blocking execution."""

from __future__ import annotations

import time

import orjson

from podium.engine.mappers.loop import loop_output
from podium.errors import BadRequest, NotFound
from podium.model.executions import HistoryEvent, Task, Workflow
from podium.model.requests import StartWorkflowRequest
from podium.services.context import ServiceContext
from podium.services.plans import Plans
from podium.services.starting import Starter
from podium.services.unit import unit_of_work
from podium.store import JSON, Page, SearchRequest

__all__ = ["WorkflowService"]

# search-by-tasks reads at most this many matching tasks before grouping them by execution.
_TASK_SCAN = 10_000
# A blocking execute reads its execution again at least this often (seconds).
_RECHECK_S = 1.0


class WorkflowService:
    """Use cases over whole executions that do not change their course."""

    def __init__(self, ctx: ServiceContext, plans: Plans, starter: Starter) -> None:
        self.ctx = ctx
        self.plans = plans
        self.starter = starter

    async def start(
        self, request: StartWorkflowRequest, *, actor: str = "api", awaited: bool = False
    ) -> str:
        """Start an execution; its first decision runs before this returns. `awaited`: a
        caller will wait for its changes (they are then announced to every node)."""
        try:
            async with unit_of_work(self.ctx) as unit:
                return await self.starter.start(unit, request, actor=actor, awaited=awaited)
        except Exception as exc:
            self.ctx.observer.workflow_start_failed(request.name, type(exc).__name__)
            raise

    async def execute(
        self,
        request: StartWorkflowRequest,
        *,
        wait_until: list[str],
        wait_seconds: float,
        actor: str = "api",
    ) -> tuple[JSON, bool]:
        """Start, then wait until the execution ends or a named task finishes.

        Returns the workflow JSON (with tasks) and whether the wait timed out.
        """
        workflow_id = await self.start(request, actor=actor, awaited=True)
        deadline = time.monotonic() + max(0.0, wait_seconds)
        while True:
            wf, tasks = await self.get(workflow_id, include_tasks=True)
            if wf.status.terminal or _reached(tasks, wait_until):
                return await self.to_json(wf, tasks), False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return await self.to_json(wf, tasks), True
            # Woken by every change (they are announced to all nodes: `awaited`), but an
            # idempotent start may have found an execution started without it: look again.
            await self.ctx.wakeups.wait(f"wf:{workflow_id}", min(remaining, _RECHECK_S))

    async def get(self, workflow_id: str, *, include_tasks: bool) -> tuple[Workflow, list[Task]]:
        async with unit_of_work(self.ctx) as unit:
            wf = await unit.tx.get_workflow(workflow_id, lock=False)
            if wf is None:
                raise NotFound(f"No such workflow found by id: {workflow_id}")
            tasks = await unit.tx.workflow_tasks(workflow_id) if include_tasks else []
        return wf, tasks

    async def get_json(self, workflow_id: str, *, include_tasks: bool = True) -> JSON:
        """The execution's JSON; a removed-with-archive execution is read from the archive."""
        try:
            wf, tasks = await self.get(workflow_id, include_tasks=include_tasks)
        except NotFound:
            async with unit_of_work(self.ctx) as unit:
                archived = await unit.tx.get_archived_workflow(workflow_id)
            if archived is None:
                raise
            found: JSON = orjson.loads(archived)
            if not include_tasks:
                found["tasks"] = []
            return found
        return await self.to_json(wf, tasks)

    async def to_json(self, wf: Workflow, tasks: list[Task]) -> JSON:
        async with unit_of_work(self.ctx) as unit:
            plan = await self.plans.for_digest(unit.tx, wf.defHash)
        out = wf.to_json(plan.definition_json, tasks)
        for task, shown in zip(tasks, out["tasks"], strict=True):
            if task.taskType == "DO_WHILE" and not task.status.terminal:
                # A running loop keeps only its counters; show Conductor's full output.
                body = plan.loop_bodies.get(task.ref_base, [])
                shown["outputData"] = loop_output(task, body, tasks)
        return out

    async def status(
        self, workflow_id: str, *, include_output: bool, include_variables: bool
    ) -> JSON:
        wf, _ = await self.get(workflow_id, include_tasks=False)
        out: JSON = {"workflowId": wf.workflowId, "status": wf.status.value}
        if wf.correlationId is not None:
            out["correlationId"] = wf.correlationId
        if include_output:
            out["output"] = wf.output
        if include_variables:
            out["variables"] = wf.variables
        return out

    async def task_page(
        self, workflow_id: str, *, start: int, count: int, statuses: list[str]
    ) -> Page[Task]:
        _, tasks = await self.get(workflow_id, include_tasks=True)
        wanted = {s.upper() for s in statuses}
        if wanted:
            tasks = [t for t in tasks if t.status.value in wanted]
        return Page(len(tasks), tasks[start : start + count])

    async def by_correlation_id(
        self, name: str, correlation_ids: list[str], *, include_closed: bool, include_tasks: bool
    ) -> dict[str, list[JSON]]:
        out: dict[str, list[JSON]] = {}
        for cid in correlation_ids:
            async with unit_of_work(self.ctx) as unit:
                found = await unit.tx.workflows_by_correlation_id(
                    name, cid, include_closed=include_closed
                )
            out[cid] = [
                await self.get_json(wf.workflowId, include_tasks=include_tasks) for wf in found
            ]
        return out

    async def running_ids(self, name: str, version: int | None, start: int, end: int) -> list[str]:
        async with unit_of_work(self.ctx) as unit:
            return await unit.tx.running_workflow_ids(name, version, start, end)

    async def search(self, request: SearchRequest) -> Page[Workflow]:
        if request.size > self.ctx.limits.max_search_size or request.size < 0:
            raise BadRequest(
                f"Cannot return more than {self.ctx.limits.max_search_size} workflows. "
                "Please use pagination."
            )
        async with unit_of_work(self.ctx) as unit:
            return await unit.tx.search_workflows(request)

    async def ping(self) -> None:
        """Check that the database answers (raises a PodiumError when it does not)."""
        async with unit_of_work(self.ctx) as unit:
            await unit.tx.get_snapshot("health-check")

    async def search_by_tasks(self, request: SearchRequest) -> Page[Workflow]:
        """Executions having a task that matches the query (task fields), each once."""
        wide = SearchRequest(request.query, request.free_text, request.sort, 0, _TASK_SCAN)
        async with unit_of_work(self.ctx) as unit:
            tasks = await unit.tx.search_tasks(wide)
        ids = list(dict.fromkeys(t.workflowInstanceId for t in tasks.items))
        page: list[Workflow] = []
        for workflow_id in ids[request.start : request.start + request.size]:
            async with unit_of_work(self.ctx) as unit:
                wf = await unit.tx.get_workflow(workflow_id, lock=False)
            if wf is not None:
                page.append(wf)
        return Page(len(ids), page)

    async def history(self, workflow_id: str) -> list[HistoryEvent]:
        async with unit_of_work(self.ctx) as unit:
            events = await unit.tx.workflow_history(workflow_id)
            if not events and await unit.tx.get_workflow(workflow_id, lock=False) is None:
                raise NotFound(f"No such workflow found by id: {workflow_id}")
        return events


def _reached(tasks: list[Task], wait_until: list[str]) -> bool:
    if not wait_until:
        return False
    return any(t.referenceTaskName in wait_until and t.status.terminal for t in tasks)
