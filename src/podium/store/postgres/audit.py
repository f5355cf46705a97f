"""The audit log of the PostgreSQL store (`migrations/postgres/0006_audit.sql`): append-only,
read newest first."""

from __future__ import annotations

from collections.abc import Sequence

from podium.store import MAX_TOTAL_HITS, AuditQuery, AuditRecord, Page
from podium.store.postgres.base import PgBase
from podium.store.rows import audit_row
from podium.store.sql_search import AUDIT_COLUMNS, audit_where, count_sql, total_from_page

__all__ = ["AuditMixin"]


class AuditMixin(PgBase):
    """Each record gets the next `seq` from the table's sequence, which a rollback does not
    give back: `seq` only increases, with gaps."""

    async def append_audit(self, records: Sequence[AuditRecord]) -> None:
        await self._many(
            "INSERT INTO audit_log (at, principal, address, method, path, resource, status, node)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
            [audit_row(r) for r in records],
        )

    async def audit_records(self, query: AuditQuery) -> Page[AuditRecord]:
        # `where` holds fixed fragments and placeholders only; the values travel as parameters.
        where, params = audit_where(query, "%s")
        base = f"FROM audit_log {where}"
        page = f"SELECT {AUDIT_COLUMNS} {base} ORDER BY seq DESC LIMIT %s OFFSET %s"
        args = [*params, max(query.size, 0), max(query.start, 0)]
        # Never prepared (as the search): a generic plan, blind to the values, may pick the
        # wrong index for a time range.
        cur = await self.conn.execute(page, args, prepare=False)
        items = [AuditRecord(*row) for row in await cur.fetchall()]
        total = total_from_page(query, len(items))
        if total is None:
            count = count_sql(base, "%s")
            cur = await self.conn.execute(count, [*params, MAX_TOTAL_HITS], prepare=False)
            counted = await cur.fetchone()
            assert counted is not None  # count(*) always answers one row
            total = int(counted[0])
        return Page(total, items)
