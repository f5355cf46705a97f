"""Per-resource grants: what a principal may READ, UPDATE, DELETE or EXECUTE beyond its roles.

Orkes semantics (landscape.md 1.2): grants name a subject (USER, GROUP or ROLE) and a target
(WORKFLOW_DEF or TASK_DEF by name, or a TAG `key:value`, which stands for every definition
carrying that tag) and stack on the principal's roles. This module evaluates them, and resolves
what an execution or a task belongs to; the API decides when to ask (only when the roles do not
cover a route, and never on the worker's hot path).
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from podium.auth.principals import Principal
from podium.services.context import DEFINITIONS_CHANGED, GRANTS_CHANGED, ServiceContext
from podium.store import Grant, Tx

__all__ = [
    "OWNER_ACCESS",
    "AccessService",
    "Creator",
    "Rights",
    "creator_grants",
    "owner_grants",
    "subjects",
]

OWNER_ACCESS = ("READ", "UPDATE", "DELETE", "EXECUTE")
"""What the creator of a definition holds on it (unless its roles cover everything anyway)."""
WORKFLOW_DEF = "WORKFLOW_DEF"
TASK_DEF = "TASK_DEF"
_CACHE_SIZE = 4096  # principals whose rights are kept, least recently used dropped first
_CACHE_S = 30.0  # a safety net: changes are announced to every node at once


def subjects(principal: Principal) -> list[tuple[str, str]]:
    """The grant subjects a principal speaks for: itself, each of its roles and groups."""
    return [
        ("USER", principal.id),
        *(("ROLE", role) for role in sorted(principal.roles)),
        *(("GROUP", group) for group in sorted(principal.groups)),
    ]


def owner_grants(owner: str, target_type: str, name: str) -> list[Grant]:
    """The grants that make `owner` (a USER subject id) the owner of one definition."""
    return [Grant("USER", owner, target_type, name, access) for access in OWNER_ACCESS]


@dataclass(frozen=True, slots=True)
class Creator:
    """Who creates definitions, for the grants that come with a new one."""

    owner: str | None
    """A USER subject id that becomes the owner, or None (its roles write every definition)."""
    groups: tuple[str, ...] = ()
    """Its groups: each one's `defaultAccess` for the definition's type is granted to it."""


async def creator_grants(tx: Tx, creator: Creator, target_type: str, name: str) -> list[Grant]:
    """The grants a new definition starts with: its owner's, and its creator's groups'
    default access (Orkes' `defaultAccess` of a group, per target type)."""
    grants = owner_grants(creator.owner, target_type, name) if creator.owner else []
    for group_id in creator.groups:
        group = await tx.get_group(group_id)
        defaults = (group or {}).get("defaultAccess") or {}
        access = defaults.get(target_type, []) if isinstance(defaults, dict) else []
        grants += [Grant("GROUP", group_id, target_type, name, str(a)) for a in access]
    return grants


@dataclass(frozen=True, slots=True)
class Rights:
    """One principal's grants, with TAG grants expanded to the definitions carrying the tag."""

    names: Mapping[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    """(target type, access) -> the target ids (definition names) it holds that access on."""

    def may(self, access: str, target_type: str, name: str) -> bool:
        return name in self.named(target_type, access)

    def named(self, target_type: str, access: str) -> frozenset[str]:
        return self.names.get((target_type, access), frozenset())


class AccessService:
    """Evaluates grants (cached per node, dropped when grants or definitions change) and
    finds the definition an execution or a task belongs to."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._rights: OrderedDict[Principal, tuple[float, Rights]] = OrderedDict()
        self._tags: dict[str, list[tuple[str, str]]] | None = None
        self._generation = 0
        """Counts changes, so that a lookup that raced with one does not fill the cache."""
        ctx.wakeups.on(GRANTS_CHANGED, self.grants_changed)
        ctx.wakeups.on(DEFINITIONS_CHANGED, self.definitions_changed)

    def grants_changed(self) -> None:
        self._generation += 1
        self._rights.clear()

    def definitions_changed(self) -> None:
        """Tags live in definitions: a changed definition may change what a TAG grant covers."""
        self._tags = None
        self.grants_changed()

    async def rights(self, principal: Principal) -> Rights:
        """What the principal's grants (its own, its roles', its groups') allow."""
        now = time.monotonic()
        cached = self._rights.get(principal)
        if cached is not None and cached[0] >= now:
            self._rights.move_to_end(principal)
            return cached[1]
        generation = self._generation
        rights = await self._load(principal)
        if generation == self._generation:
            self._rights[principal] = (now + _CACHE_S, rights)
            if len(self._rights) > _CACHE_SIZE:
                self._rights.popitem(last=False)
        return rights

    async def _load(self, principal: Principal) -> Rights:
        # Plain transactions, not units of work: a lookup must not carry a request's audit record.
        async with self.ctx.store.transaction() as tx:
            grants = [g for s in subjects(principal) for g in await tx.grants_of_subject(*s)]
            tags = await self._tag_index(tx) if any(g.target_type == "TAG" for g in grants) else {}
        names: dict[tuple[str, str], set[str]] = {}
        for g in grants:
            targets = (
                tags.get(g.target_id, [])
                if g.target_type == "TAG"
                else [(g.target_type, g.target_id)]
            )
            for kind, name in targets:
                names.setdefault((kind, g.access), set()).add(name)
        return Rights({key: frozenset(value) for key, value in names.items()})

    async def _tag_index(self, tx: Tx) -> dict[str, list[tuple[str, str]]]:
        """`key:value` -> the (type, name) of every definition carrying that tag (a workflow
        definition's tags are those of its latest version)."""
        if self._tags is None:
            generation = self._generation
            index: dict[str, list[tuple[str, str]]] = {}
            workflows = await tx.list_workflow_defs(latest_only=True)
            for kind, defs in ((WORKFLOW_DEF, workflows), (TASK_DEF, await tx.list_task_defs())):
                for definition in defs:
                    for tag in _tags_of(definition):
                        index.setdefault(tag, []).append((kind, str(definition["name"])))
            if generation == self._generation:
                self._tags = index
            return index
        return self._tags

    async def workflow_name(self, workflow_id: str) -> str | None:
        """The definition name of an execution (also of a removed, archived one)."""
        async with self.ctx.store.transaction() as tx:
            wf = await tx.get_workflow(workflow_id, lock=False)
            if wf is not None:
                return wf.workflowName
            archived = await tx.get_archived_workflow(workflow_id)
        name = json.loads(archived).get("workflowName") if archived else None
        return name if isinstance(name, str) else None

    async def task_workflow_name(self, task_id: str) -> str | None:
        """The definition name of the execution a task attempt belongs to."""
        async with self.ctx.store.transaction() as tx:
            task = await tx.get_task(task_id)
        if task is None:
            return None
        return task.workflowType or await self.workflow_name(task.workflowInstanceId)

    async def task_type(self, task_id: str) -> str | None:
        """The type of a task attempt (None: no such task)."""
        async with self.ctx.store.transaction() as tx:
            task = await tx.get_task(task_id)
        return task.taskType if task is not None else None

    async def existing(self, target_type: str, names: Iterable[str]) -> set[str]:
        """Which of these workflow (any version) or task definitions exist."""
        async with self.ctx.store.transaction() as tx:
            if target_type == WORKFLOW_DEF:
                return {n for n in names if await tx.get_workflow_def(n, None) is not None}
            return {n for n in names if await tx.get_task_def(n) is not None}


def _tags_of(definition: Mapping[str, object]) -> list[str]:
    tags = definition.get("tags")
    if not isinstance(tags, list):
        return []
    return [f"{t.get('key', '')}:{t.get('value', '')}" for t in tags if isinstance(t, dict)]
