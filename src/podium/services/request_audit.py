"""The request being served, as the audit log will record it (a context variable).

A request that may change state opens a `RequestAudit` (the API does, see `podium.api.audit`).
The first unit of work that commits while serving it appends the request's record inside its
own transaction (`podium.services.unit`), so a change and its audit record commit together or
not at all. A request that committed nothing (refused, failed, or a no-op) is recorded
afterwards by the API with the status it was answered (`podium.services.audit`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from podium.store import AuditRecord

__all__ = ["COMMITTED", "RequestAudit", "current_audit", "note_resource"]

COMMITTED = 200
"""The status recorded with a change, written before the answer is known: it committed."""


@dataclass(slots=True)
class RequestAudit:
    """The request being served, as the audit log will name it."""

    principal: Callable[[], str]
    """Read when the record is written: authentication may name the caller later."""
    address: str
    method: str
    path: str
    described: Callable[[], str]
    """What the request acts on as its route names it (read when the record is written)."""
    resource: str = ""
    """What it acted on as a use case named it (`note_resource`); wins over `described`."""
    recorded: bool = False

    def record(self, at: int, status: int, node: str) -> AuditRecord:
        resource = self.resource or self.described()
        return AuditRecord(
            at, self.principal(), self.address, self.method, self.path, resource, status, node
        )


_CURRENT: ContextVar[RequestAudit | None] = ContextVar("podium_request_audit", default=None)


def current_audit() -> ContextVar[RequestAudit | None]:
    """The variable holding the request being served (None outside auditable requests)."""
    return _CURRENT


def note_resource(resource: str) -> None:
    """Name what the current request acted on, unless its path named it already."""
    audit = _CURRENT.get()
    if audit is not None and not audit.resource:
        audit.resource = resource
