"""Who a request acts as."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ADMIN_ONLY_ROLES",
    "APPLICATION_ROLES",
    "ROLES",
    "USER_ROLES",
    "Principal",
    "plain_text",
    "principal_of",
]

USER_ROLES = ("ADMIN", "USER", "READ_ONLY_USER", "METADATA_MANAGER", "WORKFLOW_MANAGER")
"""Orkes' roles for people."""
APPLICATION_ROLES = (
    "ADMIN",
    "WORKER",
    "METADATA_API",
    "APPLICATION_API",
    "UNRESTRICTED_WORKER",
    "METADATA_MANAGER",
    "WORKFLOW_MANAGER",
    "APPLICATION_MANAGER",
)
"""Orkes' roles for applications (the last four only an admin may give)."""
ROLES = frozenset(USER_ROLES + APPLICATION_ROLES)
ADMIN_ONLY_ROLES = frozenset(
    {"ADMIN", "UNRESTRICTED_WORKER", "METADATA_MANAGER", "WORKFLOW_MANAGER", "APPLICATION_MANAGER"}
)
"""Roles only an ADMIN may give to an application: an APPLICATION_MANAGER may not."""


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a person or an application (`id` is then `app:<app id>`, the
    subject Orkes grants name applications by)."""

    id: str
    name: str
    roles: frozenset[str]
    application: bool = False
    groups: frozenset[str] = frozenset()
    """The groups a person belongs to (named by their token or stored); grants to a GROUP
    subject apply to its members."""
    key_id: str | None = None
    """The access key an application's token was issued for."""

    @classmethod
    def of_application(
        cls, app_id: str, name: str, roles: frozenset[str], key_id: str | None = None
    ) -> Principal:
        return cls(f"app:{app_id}", name, roles, application=True, key_id=key_id)


def plain_text(text: str) -> bool:
    """Whether a name from outside (a proxy's header, an issuer's claim) may name a caller: no
    control characters, which PostgreSQL refuses (NUL) and which would forge lines in logs."""
    return not any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)


def principal_of(scope: Mapping[str, Any]) -> Principal | None:
    """Who an ASGI request acts as (None when authentication is off or the path is open)."""
    principal = scope.get("state", {}).get("principal")
    return principal if isinstance(principal, Principal) else None
