"""People's user records, groups, group membership and application tags of the in-memory
store (the twin of `store/sqlite/directory.py`)."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from podium.store import JSON
from podium.store.memory_state import MemoryState

__all__ = ["MemoryDirectory"]


def _load(body: bytes) -> JSON:
    parsed: JSON = orjson.loads(body)
    return parsed


class MemoryDirectory:
    """Kept serialised, as the SQL stores keep them; sets as tables of tuples."""

    state: MemoryState

    async def get_user(self, user_id: str) -> JSON | None:
        body = self.state.users.get(user_id)
        return _load(body) if body is not None else None

    async def list_users(self) -> list[JSON]:
        return [_load(body) for _, body in sorted(self.state.users.items())]

    async def put_user(self, user: JSON) -> None:
        self.state.users.put(user["id"], orjson.dumps(user))

    async def delete_user(self, user_id: str) -> bool:
        for group_id, member in self.state.members:
            if member == user_id:
                self.state.members.pop((group_id, member))
        return self.state.users.pop(user_id) is not None

    async def get_group(self, group_id: str) -> JSON | None:
        body = self.state.groups.get(group_id)
        return _load(body) if body is not None else None

    async def list_groups(self) -> list[JSON]:
        return [_load(body) for _, body in sorted(self.state.groups.items())]

    async def put_group(self, group: JSON) -> None:
        self.state.groups.put(group["id"], orjson.dumps(group))

    async def delete_group(self, group_id: str) -> bool:
        for membership in self.state.members:
            if membership[0] == group_id:
                self.state.members.pop(membership)
        return self.state.groups.pop(group_id) is not None

    async def add_group_members(self, group_id: str, user_ids: Sequence[str]) -> None:
        for user_id in user_ids:
            self.state.members.put((group_id, user_id), True)

    async def remove_group_members(self, group_id: str, user_ids: Sequence[str]) -> None:
        for user_id in user_ids:
            self.state.members.pop((group_id, user_id))

    async def group_members(self, group_id: str) -> list[str]:
        return sorted(u for g, u in self.state.members if g == group_id)

    async def groups_of_user(self, user_id: str) -> list[str]:
        return sorted(g for g, u in self.state.members if u == user_id)

    async def application_tags(self, app_id: str) -> list[tuple[str, str]]:
        return sorted((k, v) for a, k, v in self.state.app_tags if a == app_id)

    async def add_application_tags(self, app_id: str, tags: Sequence[tuple[str, str]]) -> None:
        for key, value in tags:
            self.state.app_tags.put((app_id, key, value), True)

    async def remove_application_tags(self, app_id: str, tags: Sequence[tuple[str, str]]) -> None:
        for key, value in tags:
            self.state.app_tags.pop((app_id, key, value))
