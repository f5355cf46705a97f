"""Workflow and task definitions: register, update, read, delete."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from podium.errors import Conflict, NotFound, ValidationFailed, Violation
from podium.expr.javascript import JAVASCRIPT_EVALUATORS, syntax_error
from podium.model.definitions import TaskDef, WorkflowDef, WorkflowTask
from podium.services.access import TASK_DEF, WORKFLOW_DEF, Creator, creator_grants
from podium.services.context import DEFINITIONS_CHANGED, GRANTS_CHANGED, ServiceContext
from podium.services.request_audit import note_resource
from podium.services.unit import announce, unit_of_work
from podium.store import JSON, Tx

__all__ = ["MetadataService", "check_scripts"]


def check_scripts(definition: WorkflowDef) -> None:
    """JavaScript in SWITCH, DECISION and DO_WHILE must parse (Conductor checks it on save)."""
    violations = []
    for i, wt in enumerate(definition.all_tasks()):
        for field, source in _scripts(wt):
            problem = syntax_error(source)
            if problem is not None:
                violations.append(
                    Violation(
                        f"workflowDef.tasks[{i}].{field}",
                        f"{field} of task {wt.taskReferenceName} is not valid JavaScript: "
                        f"{problem}",
                    )
                )
    if violations:
        raise ValidationFailed(violations)


def _scripts(wt: WorkflowTask) -> list[tuple[str, str]]:
    found = []
    evaluator = (wt.evaluatorType or "").lower()
    if wt.type == "SWITCH" and evaluator in JAVASCRIPT_EVALUATORS and wt.expression:
        found.append(("expression", wt.expression))
    if wt.type == "DECISION" and wt.caseExpression:
        found.append(("caseExpression", wt.caseExpression))
    if wt.type == "DO_WHILE" and wt.loopCondition:
        found.append(("loopCondition", wt.loopCondition))
    return found


class MetadataService:
    """Definitions are validated by the caller (the model); this stores and serves them.

    The writes that may create a definition take a `creator`. Each definition the call creates
    starts with grants recorded in the same unit of work: to the creator's `owner` id (READ,
    UPDATE, DELETE, EXECUTE; the API names one when the caller's roles do not cover writing
    every definition: Orkes' USER acts on what it created) and to each of its groups, that
    group's `defaultAccess` for the definition's type.
    """

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def register_workflow(
        self,
        definition: WorkflowDef,
        *,
        overwrite: bool,
        actor: str = "api",
        creator: Creator | None = None,
    ) -> None:
        check_scripts(definition)
        note_resource(_named("WORKFLOW_DEF", [definition.name]))
        async with unit_of_work(self.ctx) as unit:
            existing = await unit.tx.get_workflow_def(definition.name, definition.version)
            if existing is not None and not overwrite:
                raise Conflict(
                    f"Workflow with {definition.name}.{definition.version} already exists!"
                )
            owned = await _own(unit.tx, creator, WORKFLOW_DEF, [definition.name])
            await unit.tx.put_workflow_def(self._stamp(definition, existing, actor))
        await self._changed(owned)

    async def upsert_workflows(
        self, definitions: list[WorkflowDef], *, actor: str = "api", creator: Creator | None = None
    ) -> JSON:
        done: list[str] = []
        for definition in definitions:
            check_scripts(definition)
        note_resource(_named("WORKFLOW_DEF", [d.name for d in definitions]))
        async with unit_of_work(self.ctx) as unit:
            owned = await _own(unit.tx, creator, WORKFLOW_DEF, [d.name for d in definitions])
            for definition in definitions:
                existing = await unit.tx.get_workflow_def(definition.name, definition.version)
                await unit.tx.put_workflow_def(self._stamp(definition, existing, actor))
                done.append(definition.name)
        await self._changed(owned)
        return {
            "bulkErrorResults": {},
            "bulkSuccessfulResults": done,
            "message": "Bulk Request has been processed.",
        }

    def _stamp(self, definition: WorkflowDef, existing: JSON | None, actor: str) -> JSON:
        body = definition.to_json()
        now = self.ctx.clock()
        if existing is None:
            body["createTime"] = now
            body.pop("updateTime", None)
        else:
            body["createTime"] = existing.get("createTime", now)
            body["updateTime"] = now
            body["updatedBy"] = body.get("updatedBy") or actor
        return body

    async def get_workflow(self, name: str, version: int | None) -> JSON:
        async with unit_of_work(self.ctx) as unit:
            found = await unit.tx.get_workflow_def(name, version)
        if found is None:
            shown = "null" if version is None else version
            raise NotFound(f"No such workflow found by name: {name}, version: {shown}")
        return found

    async def list_workflows(self, *, latest_only: bool = False) -> list[JSON]:
        async with unit_of_work(self.ctx) as unit:
            return await unit.tx.list_workflow_defs(latest_only=latest_only)

    async def delete_workflow(self, name: str, version: int) -> None:
        async with unit_of_work(self.ctx) as unit:
            if not await unit.tx.delete_workflow_def(name, version):
                raise NotFound(f"No such workflow found by name: {name}, version: {version}")
        await announce(self.ctx, {DEFINITIONS_CHANGED})

    async def register_tasks(
        self, definitions: list[TaskDef], *, actor: str = "api", creator: Creator | None = None
    ) -> None:
        now = self.ctx.clock()
        note_resource(_named("TASK_DEF", [td.name for td in definitions]))
        async with unit_of_work(self.ctx) as unit:
            owned = await _own(unit.tx, creator, TASK_DEF, [td.name for td in definitions])
            for td in definitions:
                body = td.to_json()
                body["createTime"] = now
                body["createdBy"] = body.get("createdBy") or actor
                body.pop("updateTime", None)
                body.pop("updatedBy", None)
                await unit.tx.put_task_def(body)
        await self._changed(owned)

    async def update_task(self, td: TaskDef, *, actor: str = "api") -> None:
        note_resource(_named("TASK_DEF", [td.name]))
        async with unit_of_work(self.ctx) as unit:
            existing = await unit.tx.get_task_def(td.name)
            if existing is None:
                raise NotFound(f"No such taskType found by name: {td.name}")
            body: dict[str, Any] = td.to_json()
            body["createTime"] = existing.get("createTime")
            body["createdBy"] = existing.get("createdBy")
            body["updateTime"] = self.ctx.clock()
            body["updatedBy"] = body.get("updatedBy") or actor
            await unit.tx.put_task_def({k: v for k, v in body.items() if v is not None})
        await announce(self.ctx, {DEFINITIONS_CHANGED})

    async def get_task(self, name: str) -> JSON:
        async with unit_of_work(self.ctx) as unit:
            found = await unit.tx.get_task_def(name)
        if found is None:
            raise NotFound(f"No such taskType found by name: {name}")
        return found

    async def list_tasks(self) -> list[JSON]:
        async with unit_of_work(self.ctx) as unit:
            return await unit.tx.list_task_defs()

    async def delete_task(self, name: str) -> None:
        async with unit_of_work(self.ctx) as unit:
            if not await unit.tx.delete_task_def(name):
                raise NotFound(f"No such taskType found by name: {name}")
        await announce(self.ctx, {DEFINITIONS_CHANGED})

    async def _changed(self, owned: bool) -> None:
        await announce(
            self.ctx, {DEFINITIONS_CHANGED, GRANTS_CHANGED} if owned else {DEFINITIONS_CHANGED}
        )


async def _own(tx: Tx, creator: Creator | None, target_type: str, names: list[str]) -> bool:
    """Record the grants each named definition that does not exist yet (any version) starts
    with: its creator's as owner, its creator's groups' default access; whether it recorded
    any grant."""
    if creator is None:
        return False
    exists = tx.get_task_def if target_type == TASK_DEF else _any_version(tx)
    new = [n for n in dict.fromkeys(names) if await exists(n) is None]
    grants = [g for n in new for g in await creator_grants(tx, creator, target_type, n)]
    if grants:
        await tx.add_grants(grants)
    return bool(grants)


def _any_version(tx: Tx) -> Callable[[str], Awaitable[JSON | None]]:
    async def latest(name: str) -> JSON | None:
        return await tx.get_workflow_def(name, None)

    return latest


def _named(kind: str, names: list[str]) -> str:
    """`KIND:a,b,c` for the audit log (at most 200 characters)."""
    text = f"{kind}:{','.join(names)}"
    return text if len(text) <= 200 else text[:197] + "..."
