"""People's user records, groups, group membership and application tags of the PostgreSQL
store (`migrations/postgres/0007_directory.sql`)."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from podium.store import JSON
from podium.store.postgres.base import PgBase, load_json

__all__ = ["DirectoryMixin"]


class DirectoryMixin(PgBase):
    """Users and groups by id; a group's members through the membership key, a user's groups
    through its index; an application's tags through their key."""

    async def get_user(self, user_id: str) -> JSON | None:
        row = await self._one("SELECT body FROM user_account WHERE id=%s", (user_id,))
        return load_json(row[0]) if row else None

    async def list_users(self) -> list[JSON]:
        return [
            load_json(r[0]) for r in await self._all("SELECT body FROM user_account ORDER BY id")
        ]

    async def put_user(self, user: JSON) -> None:
        await self._run(
            "INSERT INTO user_account (id, body) VALUES (%s,%s)"
            " ON CONFLICT (id) DO UPDATE SET body=EXCLUDED.body",
            (user["id"], orjson.dumps(user)),
        )

    async def delete_user(self, user_id: str) -> bool:
        await self._run("DELETE FROM group_member WHERE user_id=%s", (user_id,))
        return await self._count("DELETE FROM user_account WHERE id=%s", (user_id,)) > 0

    async def get_group(self, group_id: str) -> JSON | None:
        row = await self._one("SELECT body FROM user_group WHERE id=%s", (group_id,))
        return load_json(row[0]) if row else None

    async def list_groups(self) -> list[JSON]:
        return [load_json(r[0]) for r in await self._all("SELECT body FROM user_group ORDER BY id")]

    async def put_group(self, group: JSON) -> None:
        await self._run(
            "INSERT INTO user_group (id, body) VALUES (%s,%s)"
            " ON CONFLICT (id) DO UPDATE SET body=EXCLUDED.body",
            (group["id"], orjson.dumps(group)),
        )

    async def delete_group(self, group_id: str) -> bool:
        await self._run("DELETE FROM group_member WHERE group_id=%s", (group_id,))
        return await self._count("DELETE FROM user_group WHERE id=%s", (group_id,)) > 0

    async def add_group_members(self, group_id: str, user_ids: Sequence[str]) -> None:
        await self._many(
            "INSERT INTO group_member (group_id, user_id) VALUES (%s,%s) ON CONFLICT DO NOTHING",
            [(group_id, u) for u in user_ids],
        )

    async def remove_group_members(self, group_id: str, user_ids: Sequence[str]) -> None:
        await self._many(
            "DELETE FROM group_member WHERE group_id=%s AND user_id=%s",
            [(group_id, u) for u in user_ids],
        )

    async def group_members(self, group_id: str) -> list[str]:
        rows = await self._all(
            "SELECT user_id FROM group_member WHERE group_id=%s ORDER BY user_id", (group_id,)
        )
        return [str(r[0]) for r in rows]

    async def groups_of_user(self, user_id: str) -> list[str]:
        rows = await self._all(
            "SELECT group_id FROM group_member WHERE user_id=%s ORDER BY group_id", (user_id,)
        )
        return [str(r[0]) for r in rows]

    async def application_tags(self, app_id: str) -> list[tuple[str, str]]:
        rows = await self._all(
            "SELECT tag_key, tag_value FROM application_tag WHERE app_id=%s"
            " ORDER BY tag_key, tag_value",
            (app_id,),
        )
        return [(str(k), str(v)) for k, v in rows]

    async def add_application_tags(self, app_id: str, tags: Sequence[tuple[str, str]]) -> None:
        await self._many(
            "INSERT INTO application_tag (app_id, tag_key, tag_value) VALUES (%s,%s,%s)"
            " ON CONFLICT DO NOTHING",
            [(app_id, k, v) for k, v in tags],
        )

    async def remove_application_tags(self, app_id: str, tags: Sequence[tuple[str, str]]) -> None:
        await self._many(
            "DELETE FROM application_tag WHERE app_id=%s AND tag_key=%s AND tag_value=%s",
            [(app_id, k, v) for k, v in tags],
        )
