"""Definition tables of the PostgreSQL store."""

from __future__ import annotations

import orjson

from podium.store import JSON
from podium.store.postgres.base import PgBase, load_json

__all__ = ["DefinitionsMixin"]


class DefinitionsMixin(PgBase):
    """Workflow and task definitions, and the per-execution definition snapshots."""

    async def get_workflow_def(self, name: str, version: int | None) -> JSON | None:
        if version is None:
            row = await self._one(
                "SELECT body FROM workflow_def WHERE name=%s ORDER BY version DESC LIMIT 1",
                (name,),
            )
        else:
            row = await self._one(
                "SELECT body FROM workflow_def WHERE name=%s AND version=%s", (name, version)
            )
        return load_json(row[0]) if row else None

    async def list_workflow_defs(self, *, latest_only: bool = False) -> list[JSON]:
        if latest_only:
            rows = await self._all(
                "SELECT DISTINCT ON (name) body FROM workflow_def ORDER BY name, version DESC"
            )
        else:
            rows = await self._all("SELECT body FROM workflow_def ORDER BY name, version")
        return [load_json(r[0]) for r in rows]

    async def put_workflow_def(self, definition: JSON) -> None:
        await self._run(
            "INSERT INTO workflow_def (name, version, body) VALUES (%s,%s,%s)"
            " ON CONFLICT (name, version) DO UPDATE SET body=EXCLUDED.body",
            (definition["name"], definition.get("version", 1), orjson.dumps(definition)),
        )

    async def delete_workflow_def(self, name: str, version: int) -> bool:
        return (
            await self._count(
                "DELETE FROM workflow_def WHERE name=%s AND version=%s", (name, version)
            )
            > 0
        )

    async def get_task_def(self, name: str) -> JSON | None:
        row = await self._one("SELECT body FROM task_def WHERE name=%s", (name,))
        return load_json(row[0]) if row else None

    async def list_task_defs(self) -> list[JSON]:
        rows = await self._all("SELECT body FROM task_def ORDER BY name")
        return [load_json(r[0]) for r in rows]

    async def put_task_def(self, definition: JSON) -> None:
        await self._run(
            "INSERT INTO task_def (name, body) VALUES (%s,%s)"
            " ON CONFLICT (name) DO UPDATE SET body=EXCLUDED.body",
            (definition["name"], orjson.dumps(definition)),
        )

    async def delete_task_def(self, name: str) -> bool:
        return await self._count("DELETE FROM task_def WHERE name=%s", (name,)) > 0

    async def put_snapshot(self, digest: str, body: bytes) -> None:
        await self._run(
            "INSERT INTO def_snapshot (digest, body) VALUES (%s,%s) ON CONFLICT DO NOTHING",
            (digest, body),
        )

    async def get_snapshot(self, digest: str) -> bytes | None:
        row = await self._one("SELECT body FROM def_snapshot WHERE digest=%s", (digest,))
        return bytes(row[0]) if row else None
