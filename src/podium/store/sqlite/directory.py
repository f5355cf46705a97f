"""People's user records, groups, group membership and application tags of the SQLite store
(`migrations/sqlite/0007_directory.sql`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import orjson

from podium.store import JSON

__all__ = ["DirectoryMixin"]


def _load(body: bytes) -> JSON:
    parsed: JSON = orjson.loads(body)
    return parsed


class DirectoryMixin:
    """Users and groups by id; a group's members through the membership key, a user's groups
    through its index; an application's tags through their key."""

    conn: sqlite3.Connection

    async def get_user(self, user_id: str) -> JSON | None:
        row = self.conn.execute("SELECT body FROM user_account WHERE id=?", (user_id,)).fetchone()
        return _load(row[0]) if row else None

    async def list_users(self) -> list[JSON]:
        return [_load(r[0]) for r in self.conn.execute("SELECT body FROM user_account ORDER BY id")]

    async def put_user(self, user: JSON) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO user_account (id, body) VALUES (?,?)",
            (user["id"], orjson.dumps(user)),
        )

    async def delete_user(self, user_id: str) -> bool:
        self.conn.execute("DELETE FROM group_member WHERE user_id=?", (user_id,))
        return self.conn.execute("DELETE FROM user_account WHERE id=?", (user_id,)).rowcount > 0

    async def get_group(self, group_id: str) -> JSON | None:
        row = self.conn.execute("SELECT body FROM user_group WHERE id=?", (group_id,)).fetchone()
        return _load(row[0]) if row else None

    async def list_groups(self) -> list[JSON]:
        return [_load(r[0]) for r in self.conn.execute("SELECT body FROM user_group ORDER BY id")]

    async def put_group(self, group: JSON) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO user_group (id, body) VALUES (?,?)",
            (group["id"], orjson.dumps(group)),
        )

    async def delete_group(self, group_id: str) -> bool:
        self.conn.execute("DELETE FROM group_member WHERE group_id=?", (group_id,))
        return self.conn.execute("DELETE FROM user_group WHERE id=?", (group_id,)).rowcount > 0

    async def add_group_members(self, group_id: str, user_ids: Sequence[str]) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO group_member (group_id, user_id) VALUES (?,?)",
            [(group_id, u) for u in user_ids],
        )

    async def remove_group_members(self, group_id: str, user_ids: Sequence[str]) -> None:
        self.conn.executemany(
            "DELETE FROM group_member WHERE group_id=? AND user_id=?",
            [(group_id, u) for u in user_ids],
        )

    async def group_members(self, group_id: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT user_id FROM group_member WHERE group_id=? ORDER BY user_id", (group_id,)
        )
        return [str(r[0]) for r in rows]

    async def groups_of_user(self, user_id: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT group_id FROM group_member WHERE user_id=? ORDER BY group_id", (user_id,)
        )
        return [str(r[0]) for r in rows]

    async def application_tags(self, app_id: str) -> list[tuple[str, str]]:
        rows = self.conn.execute(
            "SELECT tag_key, tag_value FROM application_tag WHERE app_id=?"
            " ORDER BY tag_key, tag_value",
            (app_id,),
        )
        return [(str(k), str(v)) for k, v in rows]

    async def add_application_tags(self, app_id: str, tags: Sequence[tuple[str, str]]) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO application_tag (app_id, tag_key, tag_value) VALUES (?,?,?)",
            [(app_id, k, v) for k, v in tags],
        )

    async def remove_application_tags(self, app_id: str, tags: Sequence[tuple[str, str]]) -> None:
        self.conn.executemany(
            "DELETE FROM application_tag WHERE app_id=? AND tag_key=? AND tag_value=?",
            [(app_id, k, v) for k, v in tags],
        )
