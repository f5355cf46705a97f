"""Definition snapshots: each execution runs the definition it started with.

At start the definition is completed with the registered task definitions, frozen as canonical
JSON, and stored under its content hash; executions keep only the hash. Prepared plans are cached
in memory by hash, so a decision never parses a definition.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import orjson

from podium.engine.plan import Plan, build_plan
from podium.errors import NotFound
from podium.model.definitions import TaskDef, WorkflowDef
from podium.store import Tx

__all__ = ["Plans"]

_CACHE_SIZE = 2048


def digest_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


class Plans:
    """Prepared definitions by content hash, and the latest registered ones by name/version."""

    def __init__(self) -> None:
        self._by_digest: OrderedDict[str, Plan] = OrderedDict()
        self._registered: dict[tuple[str, int | None], tuple[int, str]] = {}
        self.generation = 0

    def invalidate(self) -> None:
        """Definitions changed: forget which snapshot a name/version starts with."""
        self.generation += 1
        self._registered.clear()

    async def for_digest(self, tx: Tx, digest: str) -> Plan:
        plan = self._by_digest.get(digest)
        if plan is not None:
            self._by_digest.move_to_end(digest)
            return plan
        body = await tx.get_snapshot(digest)
        if body is None:
            raise NotFound(f"Workflow definition snapshot {digest} is missing")
        plan = build_plan(WorkflowDef.model_validate(orjson.loads(body)))
        self._remember(digest, plan)
        return plan

    async def registered(self, tx: Tx, name: str, version: int | None) -> tuple[str, Plan]:
        """The snapshot a new execution of a registered definition starts with."""
        key = (name, version)
        cached = self._registered.get(key)
        if cached is not None and cached[0] == self.generation:
            return cached[1], await self.for_digest(tx, cached[1])
        body = await tx.get_workflow_def(name, version)
        if body is None:
            shown = "null" if version is None else version
            raise NotFound(f"No such workflow defined. name={name}, version={shown}")
        digest, plan = await self.prepare(tx, WorkflowDef.model_validate(body))
        self._registered[key] = (self.generation, digest)
        return digest, plan

    async def prepare(self, tx: Tx, definition: WorkflowDef) -> tuple[str, Plan]:
        """Complete a definition with registered task defs and store its snapshot."""
        definition = definition.model_copy(deep=True)
        for wt in definition.all_tasks():
            if wt.taskDefinition is None:
                registered = await tx.get_task_def(wt.name)
                if registered is not None:
                    wt.taskDefinition = TaskDef.model_validate(registered)
        body = orjson.dumps(definition.to_json(), option=orjson.OPT_SORT_KEYS)
        digest = digest_of(body)
        await tx.put_snapshot(digest, body)
        if digest not in self._by_digest:
            self._remember(digest, build_plan(definition))
        return digest, self._by_digest[digest]

    def _remember(self, digest: str, plan: Plan) -> None:
        self._by_digest[digest] = plan
        if len(self._by_digest) > _CACHE_SIZE:
            self._by_digest.popitem(last=False)
