"""Applications, access keys, access grants and server secrets of the PostgreSQL store
(`migrations/postgres/0004_principals.sql`, `0005_grants.sql`)."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from podium.store import JSON, Grant
from podium.store.postgres.base import PgBase, load_json

__all__ = ["PrincipalsMixin"]


def _row(grant: Grant) -> tuple[str, str, str, str, str]:
    return (grant.subject_type, grant.subject_id, grant.target_type, grant.target_id, grant.access)


class PrincipalsMixin(PgBase):
    """Applications by id; their access keys found through an index on the application; grants
    found by subject through their key, by target through an index."""

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
        await self._run("DELETE FROM application_tag WHERE app_id=%s", (app_id,))
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

    async def add_grants(self, grants: Sequence[Grant]) -> None:
        await self._many(
            "INSERT INTO access_grant (subject_type, subject_id, target_type, target_id, access)"
            " VALUES (%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING",
            [_row(g) for g in grants],
        )

    async def remove_grants(self, grants: Sequence[Grant]) -> None:
        await self._many(
            "DELETE FROM access_grant WHERE subject_type=%s AND subject_id=%s"
            " AND target_type=%s AND target_id=%s AND access=%s",
            [_row(g) for g in grants],
        )

    async def grants_of_subject(self, subject_type: str, subject_id: str) -> list[Grant]:
        rows = await self._all(
            "SELECT subject_type, subject_id, target_type, target_id, access FROM access_grant"
            " WHERE subject_type=%s AND subject_id=%s ORDER BY target_type, target_id, access",
            (subject_type, subject_id),
        )
        return [Grant(*r) for r in rows]

    async def grants_on_target(self, target_type: str, target_id: str) -> list[Grant]:
        rows = await self._all(
            "SELECT subject_type, subject_id, target_type, target_id, access FROM access_grant"
            " WHERE target_type=%s AND target_id=%s ORDER BY subject_type, subject_id, access",
            (target_type, target_id),
        )
        return [Grant(*r) for r in rows]

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
