"""Starting executions: plain, idempotent, failure workflows; then the first decision."""

from __future__ import annotations

from typing import Any

from podium.engine.decision import Decision
from podium.engine.plan import Plan
from podium.errors import Conflict, NotFound
from podium.model.definitions import IdempotencyStrategy, TimeoutPolicy
from podium.model.executions import HistoryEvent, Workflow
from podium.model.requests import StartWorkflowRequest
from podium.model.validation import validate_workflow_def
from podium.services.context import ServiceContext
from podium.services.decisions import Decisions
from podium.services.metadata import check_scripts
from podium.services.plans import Plans
from podium.services.request_audit import note_resource
from podium.services.unit import Unit

__all__ = ["Starter", "workflow_timeout_at"]


def workflow_timeout_at(wf: Workflow, plan: Plan) -> int:
    """When the workflow times out under TIME_OUT_WF (0: never)."""
    definition = plan.definition
    if definition.timeoutSeconds <= 0 or definition.timeoutPolicy != TimeoutPolicy.TIME_OUT_WF:
        return 0
    return (wf.lastRetriedTime or wf.createTime) + definition.timeoutSeconds * 1000


class Starter:
    """Creates executions inside a unit of work."""

    def __init__(self, ctx: ServiceContext, plans: Plans, decisions: Decisions) -> None:
        self.ctx = ctx
        self.plans = plans
        self.decisions = decisions
        decisions.on_failure = self._on_failure

    async def _on_failure(self, unit: Unit, decision: Decision, actor: str) -> None:
        await self.after_decision(unit, decision, actor=actor)

    async def start(
        self, unit: Unit, request: StartWorkflowRequest, *, actor: str, **links: Any
    ) -> str:
        """Start one execution and run its first decision; returns its id."""
        existing = await self._idempotent(unit, request)
        if existing is not None:
            return existing
        digest, plan = await self._plan(unit, request)
        wf = self._new_workflow(request, digest, plan, links)
        await unit.tx.insert_workflow(wf)
        note_resource(f"workflow:{wf.workflowId}")
        await unit.tx.append_history(
            [
                HistoryEvent(
                    wf.workflowId,
                    wf.createTime,
                    "workflow_started",
                    actor,
                    self.ctx.node,
                    to_status=wf.status.value,
                )
            ]
        )
        await self.decisions.run(unit, wf, plan, actor=actor, pending=[])  # a new execution
        observer = self.ctx.observer
        unit.report(
            lambda: observer.workflow_started(wf.workflowName, wf.workflowVersion, wf.workflowId)
        )
        return wf.workflowId

    async def after_decision(self, unit: Unit, decision: Decision, *, actor: str) -> None:
        """Start the failure workflow a decision asks for, and record its id."""
        request = decision.failure_workflow
        if request is None:
            return
        wf = decision.workflow
        failed = {**request.input, "failedWorkflow": await self._failed_json(unit, wf)}
        start = StartWorkflowRequest(
            name=request.name,
            version=request.version,
            input=failed,
            correlationId=wf.correlationId,
            taskToDomain=wf.taskToDomain,
        )
        try:
            failure_id = await self.start(unit, start, actor=f"failure-workflow-of:{wf.workflowId}")
        except NotFound as exc:
            failure_id = f"Error starting failure workflow: {exc.message}"
        wf.output = {**wf.output, "conductor.failure_workflow": failure_id}
        await unit.tx.update_workflow(wf)

    async def _failed_json(self, unit: Unit, wf: Workflow) -> dict[str, Any]:
        tasks = await unit.tx.workflow_tasks(wf.workflowId)
        return wf.to_json(tasks=tasks)

    async def _idempotent(self, unit: Unit, request: StartWorkflowRequest) -> str | None:
        key = request.idempotencyKey
        if not key:
            return None
        found = await unit.tx.find_workflow_by_idempotency_key(request.name, key)
        if found is None:
            return None
        strategy = request.idempotencyStrategy or IdempotencyStrategy.FAIL
        if strategy == IdempotencyStrategy.RETURN_EXISTING:
            return found.workflowId
        if strategy == IdempotencyStrategy.FAIL_ON_RUNNING and found.status.terminal:
            return None
        raise Conflict(
            f"Workflow {found.workflowId} of {request.name} was already started with "
            f"idempotencyKey {key} (status {found.status.value}, strategy {strategy.value})"
        )

    async def _plan(self, unit: Unit, request: StartWorkflowRequest) -> tuple[str, Plan]:
        if request.workflowDef is not None:
            validate_workflow_def(request.workflowDef)
            check_scripts(request.workflowDef)
            return await self.plans.prepare(unit.tx, request.workflowDef)
        version = request.version if request.version else None
        return await self.plans.registered(unit.tx, request.name, version)

    def _new_workflow(
        self, request: StartWorkflowRequest, digest: str, plan: Plan, links: dict[str, Any]
    ) -> Workflow:
        definition = plan.definition
        now = self.ctx.clock()
        wf = Workflow(
            workflowId=links.get("workflow_id") or self.ctx.new_id(),
            workflowName=definition.name,
            workflowVersion=definition.version,
            defHash=digest,
            createTime=now,
            updateTime=now,
            correlationId=request.correlationId,
            priority=request.priority or 0,
            input={**(definition.inputTemplate or {}), **(request.input or {})},
            variables=dict(definition.variables or {}),
            taskToDomain=dict(request.taskToDomain or {}),
            createdBy=request.createdBy,
            ownerApp=definition.ownerApp,
            idempotencyKey=request.idempotencyKey,
            externalInputPayloadStoragePath=request.externalInputPayloadStoragePath,
            parentWorkflowId=links.get("parent_workflow_id"),
            parentWorkflowTaskId=links.get("parent_task_id"),
            event=links.get("event"),
            awaited=bool(links.get("awaited")),
        )
        wf.timeoutAt = workflow_timeout_at(wf, plan)
        return wf
