"""The audit log of the SQLite store (`migrations/sqlite/0006_audit.sql`): append-only, read
newest first."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from podium.store import MAX_TOTAL_HITS, AuditQuery, AuditRecord, Page
from podium.store.rows import audit_row
from podium.store.sql_search import AUDIT_COLUMNS, audit_where, count_sql, total_from_page

__all__ = ["AuditMixin"]


class AuditMixin:
    """Each record gets the next `seq` from the table's AUTOINCREMENT; a transaction rolled back
    takes its records with it."""

    conn: sqlite3.Connection

    async def append_audit(self, records: Sequence[AuditRecord]) -> None:
        self.conn.executemany(
            "INSERT INTO audit_log (at, principal, address, method, path, resource, status, node)"
            " VALUES (?,?,?,?,?,?,?,?)",
            [audit_row(r) for r in records],
        )

    async def audit_records(self, query: AuditQuery) -> Page[AuditRecord]:
        where, params = audit_where(query, "?")
        base = f"FROM audit_log {where}"
        page = f"SELECT {AUDIT_COLUMNS} {base} ORDER BY seq DESC LIMIT ? OFFSET ?"
        rows = self.conn.execute(page, [*params, max(query.size, 0), max(query.start, 0)])
        items = [AuditRecord(*row) for row in rows]
        total = total_from_page(query, len(items))
        if total is None:
            counted = self.conn.execute(count_sql(base, "?"), [*params, MAX_TOTAL_HITS])
            total = int(counted.fetchone()[0])
        return Page(total, items)
