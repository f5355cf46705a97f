"""Applications, access keys and server secrets of the PostgreSQL store
(`migrations/postgres/0004_principals.sql`)."""

from __future__ import annotations

import orjson

from podium.store import JSON
from podium.store.postgres.base import PgBase, load_json

__all__ = ["PrincipalsMixin"]


class PrincipalsMixin(PgBase):
    """Applications by id; their access keys found through an index on the application."""

    async def get_application(self, app_id: str) -> JSON | None:
        row = await self._one("SELECT body FROM application WHERE id=%s", (app_id,))
        return load_json(row[0]) if row else None

    async def list_applications(self) -> list[JSON]:
        rows = await self._all("SELECT body FROM application ORDER BY id")
        return [load_json(r[0]) for r in rows]

    async def put_application(self, application: JSON) -> None:
        await self._run(
            "INSERT INTO application (id, body) VALUES (%s,%s)"
            " ON CONFLICT (id) DO UPDATE SET body=EXCLUDED.body",
            (application["id"], orjson.dumps(application)),
        )

    async def delete_application(self, app_id: str) -> bool:
        await self._run("DELETE FROM access_key WHERE app_id=%s", (app_id,))
        return await self._count("DELETE FROM application WHERE id=%s", (app_id,)) > 0

    async def get_access_key(self, key_id: str) -> JSON | None:
        row = await self._one("SELECT body FROM access_key WHERE id=%s", (key_id,))
        return load_json(row[0]) if row else None

    async def list_access_keys(self, app_id: str) -> list[JSON]:
        rows = await self._all(
            "SELECT body FROM access_key WHERE app_id=%s ORDER BY created_at, id", (app_id,)
        )
        return [load_json(r[0]) for r in rows]

    async def put_access_key(self, key: JSON) -> None:
        await self._run(
            "INSERT INTO access_key (id, app_id, created_at, body) VALUES (%s,%s,%s,%s)"
            " ON CONFLICT (id) DO UPDATE SET app_id=EXCLUDED.app_id,"
            " created_at=EXCLUDED.created_at, body=EXCLUDED.body",
            (key["id"], key["applicationId"], key.get("createdAt", 0), orjson.dumps(key)),
        )

    async def delete_access_key(self, key_id: str) -> bool:
        return await self._count("DELETE FROM access_key WHERE id=%s", (key_id,)) > 0

    async def server_secret(self, name: str, candidate: bytes) -> bytes:
        # DO NOTHING waits for a concurrent first insert to commit; the SELECT, a new statement
        # under READ COMMITTED, then sees that value. (A unique violation would abort the unit.)
        await self._run(
            "INSERT INTO server_secret (name, value) VALUES (%s,%s) ON CONFLICT (name) DO NOTHING",
            (name, candidate),
        )
        row = await self._one("SELECT value FROM server_secret WHERE name=%s", (name,))
        assert row is not None  # inserted just above, or by the unit that got there first
        return bytes(row[0])
