"""Definition tables of the in-memory store (the twin of `store/sqlite/definitions.py`)."""

from __future__ import annotations

import orjson

from podium.store import JSON
from podium.store.memory_state import MemoryState

__all__ = ["MemoryDefinitions"]


def _load(body: bytes) -> JSON:
    parsed: JSON = orjson.loads(body)
    return parsed


class MemoryDefinitions:
    """Workflow and task definitions, and the per-execution definition snapshots.

    Definitions are kept serialised, as the SQLite store keeps them, so every read returns a
    fresh object and a value JSON cannot hold fails on write in both stores.
    """

    state: MemoryState

    async def get_workflow_def(self, name: str, version: int | None) -> JSON | None:
        if version is None:
            versions = [v for n, v in self.state.workflow_defs if n == name]
            if not versions:
                return None
            version = max(versions)
        body = self.state.workflow_defs.get((name, version))
        return _load(body) if body is not None else None

    async def list_workflow_defs(self, *, latest_only: bool = False) -> list[JSON]:
        rows = sorted(self.state.workflow_defs.items())  # by name, then version
        if latest_only:
            latest = {name: body for (name, _), body in rows}  # the highest version wins
            return [_load(body) for body in latest.values()]
        return [_load(body) for _, body in rows]

    async def put_workflow_def(self, definition: JSON) -> None:
        key = (definition["name"], definition.get("version", 1))
        self.state.workflow_defs.put(key, orjson.dumps(definition))

    async def delete_workflow_def(self, name: str, version: int) -> bool:
        return self.state.workflow_defs.pop((name, version)) is not None

    async def get_task_def(self, name: str) -> JSON | None:
        body = self.state.task_defs.get(name)
        return _load(body) if body is not None else None

    async def list_task_defs(self) -> list[JSON]:
        return [_load(body) for _, body in sorted(self.state.task_defs.items())]

    async def put_task_def(self, definition: JSON) -> None:
        self.state.task_defs.put(definition["name"], orjson.dumps(definition))

    async def delete_task_def(self, name: str) -> bool:
        return self.state.task_defs.pop(name) is not None

    async def put_snapshot(self, digest: str, body: bytes) -> None:
        if digest not in self.state.snapshots:  # INSERT OR IGNORE: the first body stays
            self.state.snapshots.put(digest, bytes(body))

    async def get_snapshot(self, digest: str) -> bytes | None:
        return self.state.snapshots.get(digest)
