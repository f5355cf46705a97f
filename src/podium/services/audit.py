"""The audit log: recording what no unit of work recorded, and reading it (`GET /api/audit`)."""

from __future__ import annotations

from podium.services.context import ServiceContext
from podium.services.request_audit import RequestAudit, current_audit
from podium.services.unit import unit_of_work
from podium.store import AuditQuery, AuditRecord, Page

__all__ = ["AuditService"]


class AuditService:
    """Writes the records of requests no unit recorded, and reads the log."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def record_outcome(self, audit: RequestAudit, status: int) -> None:
        token = current_audit().set(None)  # this unit must not record the request a second time
        try:
            async with unit_of_work(self.ctx) as unit:
                await unit.tx.append_audit([audit.record(self.ctx.clock(), status, self.ctx.node)])
        finally:
            current_audit().reset(token)
        audit.recorded = True

    async def records(self, query: AuditQuery) -> Page[AuditRecord]:
        async with unit_of_work(self.ctx) as unit:
            return await unit.tx.audit_records(query)
