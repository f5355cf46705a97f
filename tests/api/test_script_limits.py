"""Runaway scripts fail their task with a clear reason and leave the server healthy."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from .conftest import register
from .drive import JSON, start, wait_for, workflow


def _inline(name: str, expression: str) -> JSON:
    return {
        "name": name,
        "version": 1,
        "tasks": [
            {
                "name": "script",
                "taskReferenceName": "script",
                "type": "INLINE",
                "inputParameters": {"evaluatorType": "javascript", "expression": expression},
            }
        ],
    }


def _failed_task(client: TestClient, wf_id: str) -> JSON:
    def check() -> JSON | None:
        wf = workflow(client, wf_id)
        return wf if wf["status"] == "FAILED" else None

    failed = wait_for(check, timeout=15, what="the workflow to fail")
    task: JSON = failed["tasks"][0]
    return task


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("while (true) {}", "time"),
        ("var a = []; while (true) { a.push(new Array(1000000).fill(1)); }", "memory"),
        # V8 aborts its whole process on this one: only the script process dies.
        ("new Array(2.5e8).fill(1); 1", "script"),
    ],
)
def test_runaway_script_fails_its_task_and_the_server_stays_healthy(
    client: TestClient, expression: str, reason: str
) -> None:
    register(client, _inline("runaway", expression))
    started = time.monotonic()
    task = _failed_task(client, start(client, "runaway"))
    assert time.monotonic() - started < 10, "the 4 s script limit holds"
    assert task["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert reason in task["reasonForIncompletion"].lower()
    assert client.get("/health").json()["healthy"] is True
    register(client, _inline("fine", "1 + 1"))
    fine = start(client, "fine")
    done = wait_for(
        lambda: workflow(client, fine) if workflow(client, fine)["status"] == "COMPLETED" else None,
        what="a normal script to run",
    )
    assert done["tasks"][0]["outputData"] == {"result": 2}
