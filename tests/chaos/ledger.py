"""What the chaos workers saw: every execution, acknowledged completion and refused update."""

from __future__ import annotations

import itertools
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["Event", "Kind", "Ledger"]


class Kind(StrEnum):
    EXECUTED = "executed"  # a worker received the attempt (poll or update-v2) and ran it
    ACKED = "acked"  # the server answered 200/204 to the attempt's COMPLETED update
    FAILED = "failed"  # the server accepted the attempt's FAILED result (a retry follows)
    CONFLICT = "conflict"  # 409: the attempt was no longer live when the update arrived


@dataclass(frozen=True, slots=True)
class Event:
    """One observation; `seq` orders observations across all worker threads."""

    seq: int
    kind: Kind
    workflow_id: str
    ref: str
    task_id: str
    resent: bool = False


class Ledger:
    """A thread-safe, append-only log of what the workers observed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self.events: list[Event] = []
        self.anomalies: list[str] = []
        self.retried_requests = 0
        self.acked = 0
        self._delivered: dict[str, dict[str, Any]] = {}

    def record(self, kind: Kind, task: dict[str, Any], *, resent: bool = False) -> None:
        with self._lock:
            event = Event(
                next(self._seq),
                kind,
                str(task["workflowInstanceId"]),
                str(task["referenceTaskName"]),
                str(task["taskId"]),
                resent,
            )
            self.events.append(event)
            if kind is Kind.ACKED:
                self.acked += 1
            elif kind is Kind.EXECUTED:
                self._delivered[event.task_id] = task

    def delivered(self, task_id: str) -> dict[str, Any] | None:
        """The attempt as a worker received it, if one did."""
        with self._lock:
            return self._delivered.get(task_id)

    def anomaly(self, what: str) -> None:
        with self._lock:
            self.anomalies.append(what)

    def retried(self) -> None:
        with self._lock:
            self.retried_requests += 1

    def snapshot(self) -> list[Event]:
        with self._lock:
            return list(self.events)

    def summary(self) -> dict[str, int]:
        counts = Counter(e.kind.value for e in self.snapshot())
        resent = sum(1 for e in self.snapshot() if e.resent)
        return {
            **counts,
            "resent_updates_answered": resent,
            "retried_requests": self.retried_requests,
        }

    def violations(self) -> list[str]:
        """Completed attempts that ran again, double acknowledgements, duplicate deliveries."""
        by_ref: dict[tuple[str, str], list[Event]] = defaultdict(list)
        for event in self.snapshot():
            by_ref[(event.workflow_id, event.ref)].append(event)
        found: list[str] = []
        for (wf_id, ref), events in by_ref.items():
            found.extend(_violations_of(wf_id, ref, events))
        return found


def _violations_of(wf_id: str, ref: str, events: list[Event]) -> list[str]:
    acks = [e for e in events if e.kind is Kind.ACKED]
    runs = [e for e in events if e.kind is Kind.EXECUTED]
    found = []
    # A resend of the result an attempt already ended with is acknowledged again (nothing is
    # applied twice); two attempts of one ref both completed would be a double execution.
    if len({e.task_id for e in acks}) > 1 or any(not e.resent for e in acks[1:]):
        found.append(f"{wf_id}/{ref}: {len(acks)} acknowledged completions {acks}")
    if acks:
        again = [e for e in runs if e.seq > acks[0].seq]
        if again:
            found.append(f"{wf_id}/{ref}: ran again after completion {acks[0]} was acked: {again}")
    twice = [tid for tid, n in Counter(e.task_id for e in runs).items() if n > 1]
    if twice:
        found.append(f"{wf_id}/{ref}: attempts delivered more than once: {twice}")
    return found
