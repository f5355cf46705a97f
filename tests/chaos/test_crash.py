"""SIGKILL the server twice under load: nothing is lost and no completed task runs again.

Set PODIUM_CHAOS_SEED to replay the kill moments of a failed run (the seed is in the message).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.support.server import PodiumProcess, wait_for

from .ledger import Ledger
from .workers import CrashTolerantWorker

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

T = TypeVar("T")

TASK_TYPE = "chaos_task"
WORKFLOW = "chaos_five_steps"
REFS = [f"t{k}" for k in range(5)]
WORKFLOWS = 200
WORKERS = 8
KILL_WINDOWS = [(0.2, 0.4), (0.45, 0.6)]  # fractions of all tasks acknowledged before a kill


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PodiumProcess]:
    proc = PodiumProcess(tmp_path, "--sweep-interval", "0.2")
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def register(api: str) -> None:
    task_def = {
        "name": TASK_TYPE,
        "ownerEmail": "chaos@podium.invalid",
        "responseTimeoutSeconds": 3,
        "timeoutSeconds": 0,
        "retryCount": 10,
        "retryDelaySeconds": 0,
        "retryLogic": "FIXED",
    }
    steps = [
        {
            "name": TASK_TYPE,
            "taskReferenceName": ref,
            "type": "SIMPLE",
            "inputParameters": {"i": f"${{t{k - 1}.output.i}}" if k else "${workflow.input.i}"},
        }
        for k, ref in enumerate(REFS)
    ]
    definition = {
        "name": WORKFLOW,
        "version": 1,
        "schemaVersion": 2,
        "ownerEmail": "chaos@podium.invalid",
        "tasks": steps,
        "outputParameters": {"i": "${t4.output.i}"},
    }
    response = httpx.post(f"{api}/metadata/taskdefs", json=[task_def])
    assert response.status_code == 200, response.text
    response = httpx.post(f"{api}/metadata/workflow?overwrite=true", json=definition)
    assert response.status_code == 200, response.text


def start_workflows(api: str) -> dict[str, int]:
    """Workflow id -> its input `i`."""
    started = {}
    with httpx.Client(base_url=api, timeout=10) as client:
        for i in range(WORKFLOWS):
            response = client.post("/workflow", json={"name": WORKFLOW, "input": {"i": i * 100}})
            assert response.status_code == 200, response.text
            started[response.text] = i * 100
    return started


def completed_count(api: str) -> int:
    params: dict[str, str | int] = {"query": "status='COMPLETED'", "size": 0}
    try:
        response = httpx.get(f"{api}/workflow/search", params=params, timeout=5)
    except httpx.TransportError:
        return 0
    return int(response.json()["totalHits"]) if response.status_code == 200 else 0


def acked_at_least(ledger: Ledger, count: int) -> bool:
    return ledger.acked >= count


def problems_of(wf: dict[str, Any], input_i: int) -> list[str]:
    """A finished workflow must hold exactly one COMPLETED attempt per ref, chained in order."""
    wf_id = wf["workflowId"]
    found = []
    if wf["status"] != "COMPLETED":
        found.append(f"{wf_id}: status {wf['status']}")
    done = Counter(t["referenceTaskName"] for t in wf["tasks"] if t["status"] == "COMPLETED")
    if done != Counter(REFS):
        attempts = [(t["referenceTaskName"], t["taskId"], t["status"]) for t in wf["tasks"]]
        found.append(f"{wf_id}: COMPLETED attempts per ref {dict(done)}; attempts {attempts}")
    if wf.get("output") != {"i": input_i + len(REFS)}:
        found.append(f"{wf_id}: output {wf.get('output')} for input {input_i}")
    return found


def test_sigkill_twice_loses_nothing_and_reruns_no_completed_task(
    server: PodiumProcess,
) -> None:
    seed = int(os.environ.get("PODIUM_CHAOS_SEED", str(time.time_ns() % 2**32)))
    rng = random.Random(seed)
    ledger = Ledger()

    def context() -> str:
        return (
            f"seed={seed} kills={server.kills} observed={ledger.summary()}\n"
            f"anomalies={ledger.anomalies[:20]}\n--- server logs ---\n{server.logs(20_000)}"
        )

    def within(check: Callable[[], T | None], timeout: float, what: str) -> T:
        try:
            return wait_for(check, timeout, what, every=0.05)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{context()}") from None

    register(server.api)
    started = start_workflows(server.api)
    stop = threading.Event()
    workers = [CrashTolerantWorker(server.api, TASK_TYPE, ledger, stop, n) for n in range(WORKERS)]
    for worker in workers:
        worker.start()
    try:
        total = WORKFLOWS * len(REFS)
        for low, high in KILL_WINDOWS:
            threshold = int(total * rng.uniform(low, high))
            within(partial(acked_at_least, ledger, threshold), 60, f"{threshold} acked tasks")
            time.sleep(rng.uniform(0, 0.1))  # the random kill moment
            server.crash_and_restart()
        within(lambda: completed_count(server.api) >= WORKFLOWS, 120, "every workflow COMPLETED")
    finally:
        stop.set()
        for worker in workers:
            worker.join(10)

    assert not any(w.is_alive() for w in workers), "a worker thread did not stop"
    assert server.kills == 2, context()
    with httpx.Client(base_url=server.api, timeout=10) as client:
        finished = {wf_id: client.get(f"/workflow/{wf_id}").json() for wf_id in started}
    problems = [
        problem
        for wf_id, input_i in started.items()
        for problem in problems_of(finished[wf_id], input_i)
    ]
    assert not problems, f"{len(problems)} lost or duplicated: {problems[:20]}\n{context()}"
    violations = ledger.violations()
    assert not violations, f"{len(violations)} re-executions: {violations[:20]}\n{context()}"
    assert not ledger.anomalies, f"unexpected answers: {ledger.anomalies[:20]}\n{context()}"
    attempts = Counter(t["status"] for wf in finished.values() for t in wf["tasks"])
    print(f"chaos run: seed={seed} observed={ledger.summary()} attempts={dict(attempts)}")
