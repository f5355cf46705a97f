"""A proxy between SDK workers and one node that writes what crossed the wire into a Ledger.

conductor-python's workers run in processes of their own, so the test watches their HTTP
instead: a task in a poll (or update-v2) answer was handed to a worker; a 200 to its COMPLETED
update is an acknowledged completion; a 409 a refused stale one.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from tests.acceptance.proxy import UNANSWERED, Exchange, RecordingProxy

from .ledger import Kind, Ledger

__all__ = ["LedgerProxy"]

_UPDATES = frozenset({"/api/tasks/update-v2", "/api/tasks"})
_SETTLED = {"COMPLETED": Kind.ACKED, "FAILED": Kind.FAILED}


class LedgerProxy(RecordingProxy):
    """Relays every request to `upstream`, recording deliveries and answers in `ledger`."""

    def __init__(self, upstream: str, ledger: Ledger) -> None:
        super().__init__(upstream)
        self.ledger = ledger
        self.statuses: Counter[int] = Counter()
        """Answers per HTTP status; `UNANSWERED` (0) counts requests the node never answered."""
        self.unavailable: list[float] = []
        """When (`time.monotonic()`) the node answered 503: its database was away."""
        self._sent: Counter[str] = Counter()  # updates sent per attempt, to tell resent ones

    def record(self, exchange: Exchange) -> None:
        update = exchange.method == "POST" and exchange.path in _UPDATES
        resent = False
        with self._lock:
            self.statuses[exchange.status] += 1
            if update:
                task_id = exchange.request_json()["taskId"]
                self._sent[task_id] += 1
                resent = self._sent[task_id] > 1
        if exchange.status in (503, UNANSWERED):
            self.ledger.retried()  # the node or its database was away: the SDK tries again
            if exchange.status == 503:
                self.unavailable.append(time.monotonic())
        elif exchange.status >= 500:
            self.ledger.anomaly(f"{exchange.path} -> {exchange.status}: {exchange.response_body!r}")
        elif exchange.method == "GET" and exchange.path.startswith("/api/tasks/poll/"):
            self._delivered(exchange.response_json() if exchange.status == 200 else None)
        elif update:
            self._answered(exchange, resent)

    def _delivered(self, answer: Any) -> None:
        for task in answer if isinstance(answer, list) else [answer]:
            if isinstance(task, dict) and task.get("taskId"):
                self.ledger.record(Kind.EXECUTED, task)

    def _answered(self, exchange: Exchange, resent: bool) -> None:
        result = exchange.request_json()
        task = self.ledger.delivered(result["taskId"])
        if task is None:
            self.ledger.anomaly(f"update of an attempt never delivered: {result}")
            return
        if exchange.status == 409:
            self.ledger.record(Kind.CONFLICT, task, resent=resent)
        elif exchange.status in (200, 204) and result.get("status") in _SETTLED:
            self.ledger.record(_SETTLED[result["status"]], task, resent=resent)
            if exchange.status == 200 and exchange.path.endswith("update-v2"):
                self._delivered(exchange.response_json())  # the next task, handed out at once
        else:
            self.ledger.anomaly(f"update {result} -> {exchange.status}: {exchange.response_body!r}")
