"""Applications, access keys and server secrets of the in-memory store (the twin of
`store/sqlite/principals.py`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import orjson

from podium.store import JSON, MAX_TOTAL_HITS, AuditQuery, AuditRecord, Grant, Page
from podium.store.memory_state import MemoryState

__all__ = ["MemoryPrincipals"]


def _load(body: bytes) -> JSON:
    parsed: JSON = orjson.loads(body)
    return parsed


class MemoryPrincipals:
    """Kept serialised, as the SQL stores keep them."""

    state: MemoryState

    async def get_application(self, app_id: str) -> JSON | None:
        body = self.state.applications.get(app_id)
        return _load(body) if body is not None else None

    async def list_applications(self) -> list[JSON]:
        return [_load(body) for _, body in sorted(self.state.applications.items())]

    async def put_application(self, application: JSON) -> None:
        self.state.applications.put(application["id"], orjson.dumps(application))

    async def delete_application(self, app_id: str) -> bool:
        for key_id, body in self.state.access_keys.items():
            if _load(body)["applicationId"] == app_id:
                self.state.access_keys.pop(key_id)
        for tag in self.state.app_tags:
            if tag[0] == app_id:
                self.state.app_tags.pop(tag)
        return self.state.applications.pop(app_id) is not None

    async def get_access_key(self, key_id: str) -> JSON | None:
        body = self.state.access_keys.get(key_id)
        return _load(body) if body is not None else None

    async def list_access_keys(self, app_id: str) -> list[JSON]:
        keys = [_load(body) for body in self.state.access_keys.rows()]
        mine = [k for k in keys if k["applicationId"] == app_id]
        return sorted(mine, key=lambda k: (k.get("createdAt", 0), k["id"]))

    async def put_access_key(self, key: JSON) -> None:
        self.state.access_keys.put(key["id"], orjson.dumps(key))

    async def delete_access_key(self, key_id: str) -> bool:
        return self.state.access_keys.pop(key_id) is not None

    async def add_grants(self, grants: Sequence[Grant]) -> None:
        for grant in grants:
            self.state.grants.put(grant, True)

    async def remove_grants(self, grants: Sequence[Grant]) -> None:
        for grant in grants:
            self.state.grants.pop(grant)

    async def grants_of_subject(self, subject_type: str, subject_id: str) -> list[Grant]:
        mine = [
            g
            for g in self.state.grants
            if (g.subject_type, g.subject_id) == (subject_type, subject_id)
        ]
        return sorted(mine, key=lambda g: (g.target_type, g.target_id, g.access))

    async def grants_on_target(self, target_type: str, target_id: str) -> list[Grant]:
        on = [
            g for g in self.state.grants if (g.target_type, g.target_id) == (target_type, target_id)
        ]
        return sorted(on, key=lambda g: (g.subject_type, g.subject_id, g.access))

    async def append_audit(self, records: Sequence[AuditRecord]) -> None:
        last = self.state.audit[-1].seq if self.state.audit else 0
        added = [dataclasses.replace(r, seq=last + n) for n, r in enumerate(records, 1)]
        self.state.audit = (*self.state.audit, *added)

    async def audit_records(self, query: AuditQuery) -> Page[AuditRecord]:
        hits = [r for r in reversed(self.state.audit) if _audit_matches(r, query)]
        start = max(query.start, 0)
        return Page(min(len(hits), MAX_TOTAL_HITS), hits[start : start + max(query.size, 0)])

    async def server_secret(self, name: str, candidate: bytes) -> bytes:
        stored = self.state.secrets.get(name)
        if stored is None:
            self.state.secrets.put(name, candidate)
            return candidate
        return stored


def _audit_matches(record: AuditRecord, query: AuditQuery) -> bool:
    return (
        record.at >= query.since
        and (query.until <= 0 or record.at <= query.until)
        and query.principal in (None, record.principal)
        and query.resource in (None, record.resource)
    )
