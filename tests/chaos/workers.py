"""Worker threads that keep going while the server dies: every request is retried until answered."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

import httpx

from .ledger import Kind, Ledger

__all__ = ["CrashTolerantWorker"]

BACKOFF_S = 0.05
POLL_TIMEOUT_MS = 100


class CrashTolerantWorker(threading.Thread):
    """Batch poll, run each task, post it with update-v2 and run what that returns."""

    def __init__(
        self, api: str, task_type: str, ledger: Ledger, stop: threading.Event, number: int
    ) -> None:
        super().__init__(name=f"chaos-worker-{number}", daemon=True)
        self.api = api
        self.task_type = task_type
        self.ledger = ledger
        self.stop = stop
        self.worker_id = f"chaos-{number}"

    def run(self) -> None:
        try:
            with httpx.Client(base_url=self.api, timeout=5) as client:
                self._loop(client)
        except Exception as exc:  # the test reports it; a dying thread would hide it
            self.ledger.anomaly(f"{self.name} crashed: {exc!r}")

    def _loop(self, client: httpx.Client) -> None:
        local: deque[dict[str, Any]] = deque()
        while not self.stop.is_set():
            if not local:
                local.extend(self._poll(client))
                continue
            upcoming = self._execute(client, local.popleft())
            if upcoming is not None:
                local.append(upcoming)

    def _poll(self, client: httpx.Client) -> list[dict[str, Any]]:
        params = {"workerid": self.worker_id, "count": 10, "timeout": POLL_TIMEOUT_MS}
        answer = self._send(client, "GET", f"/tasks/poll/batch/{self.task_type}", params=params)
        if answer is None:
            return []
        response, _ = answer
        if response.status_code != 200:
            self.ledger.anomaly(f"batch poll -> {response.status_code}: {response.text}")
            return []
        tasks: list[dict[str, Any]] = response.json()
        return tasks

    def _execute(self, client: httpx.Client, task: dict[str, Any]) -> dict[str, Any] | None:
        self.ledger.record(Kind.EXECUTED, task)
        result = {
            "workflowInstanceId": task["workflowInstanceId"],
            "taskId": task["taskId"],
            "status": "COMPLETED",
            "outputData": {"i": int(task["inputData"]["i"]) + 1},
            "workerId": self.worker_id,
        }
        answer = self._send(client, "POST", "/tasks/update-v2", json=result)
        if answer is None:
            return None
        response, resent = answer
        return self._settle(task, response, resent)

    def _settle(
        self, task: dict[str, Any], response: httpx.Response, resent: bool
    ) -> dict[str, Any] | None:
        status = response.status_code
        if status in (200, 204):
            self.ledger.record(Kind.ACKED, task, resent=resent)
            upcoming: dict[str, Any] | None = response.json() if status == 200 else None
            return upcoming
        if status == 409:
            self.ledger.record(Kind.CONFLICT, task, resent=resent)
        else:
            self.ledger.anomaly(
                f"update of {task['workflowInstanceId']}/{task['referenceTaskName']} "
                f"{task['taskId']} (resent={resent}) -> {status}: {response.text}"
            )
        return None

    def _send(
        self, client: httpx.Client, method: str, path: str, **kwargs: Any
    ) -> tuple[httpx.Response, bool] | None:
        """The first answer below 500, and whether the request had to be sent again."""
        resent = False
        while not self.stop.is_set():
            try:
                response = client.request(method, path, **kwargs)
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code < 500:
                return response, resent
            if response is not None:
                self.ledger.anomaly(f"{method} {path} -> {response.status_code}: {response.text}")
            self.ledger.retried()
            resent = True
            time.sleep(BACKOFF_S)  # the server is restarting: retry until it answers
        return None
