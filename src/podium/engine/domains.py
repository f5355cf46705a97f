"""Task domains: which queue a worker task goes to (Conductor `taskToDomain`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["NO_DOMAIN", "queue_name", "resolve_domain"]

NO_DOMAIN = "NO_DOMAIN"


def resolve_domain(
    task_type: str, task_to_domain: Mapping[str, Any], is_active: Callable[[str, str], bool]
) -> str | None:
    """The domain of a new worker task: its type's entry, else the `"*"` entry.

    An entry is a comma list tried in order: the first domain a worker polled recently wins;
    when none did, the last one is used, unless it is NO_DOMAIN (then no domain at all).
    """
    entry = task_to_domain.get(task_type) or task_to_domain.get("*")
    if not entry:
        return None
    candidates = [d.strip() for d in str(entry).split(",") if d.strip()]
    for domain in candidates:
        if domain != NO_DOMAIN and is_active(task_type, domain):
            return domain
    last = candidates[-1] if candidates else NO_DOMAIN
    return None if last == NO_DOMAIN else last


def queue_name(
    task_type: str,
    domain: str | None,
    execution_namespace: str | None = None,
    isolation_group: str | None = None,
) -> str:
    """`[domain:]type[@namespace][-isolationGroup]`, as Conductor names its queues."""
    name = f"{domain}:{task_type}" if domain else task_type
    if execution_namespace:
        name += f"@{execution_namespace}"
    if isolation_group:
        name += f"-{isolation_group}"
    return name
