"""Three nodes on one PostgreSQL, a node SIGKILLed and the database crashed mid-run: every
workflow completes, every task's result is recorded exactly once, nothing stays stuck.

conductor-python workers (one TaskHandler per node, each behind a ledger proxy) run workflows
that fork three tasks, join them and run a final task; a seeded tenth of the tasks fail their
first attempt, so delayed retries run too. Mid-run one node is SIGKILLed and started again on its
port, as a supervisor would: its workers come back by themselves, while the other nodes' sweepers
time out what it had handed out. Later PostgreSQL crashes (`pg_ctl stop -m immediate`) and comes
back; every node must reconnect by itself.

Set PODIUM_CHAOS_SEED to replay the choices of a failed run (the seed is in the message).
"""

from __future__ import annotations

import os
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest
from conductor.client.automator.task_handler import TaskHandler
from conductor.client.configuration.configuration import Configuration
from conductor.client.worker.worker import Worker

from tests.support.pgcluster import PostgresCluster, private_postgres
from tests.support.sdk import sdk_environment
from tests.support.server import PodiumProcess, wait_for

from .invariants import Invariants, stuck_tasks, work_by_node
from .ledger import Ledger
from .ledger_proxy import LedgerProxy
from .sdk_workers import chaos_step

pytestmark = [pytest.mark.slow, pytest.mark.timeout(480)]

T = TypeVar("T")

TASK_TYPE = "chaos_step"
WORKFLOW = "chaos_fork_join"
BRANCHES = ["b0", "b1", "b2"]
WORKER_REFS = [*BRANCHES, "final"]
ALL_REFS = ["fork", *BRANCHES, "join", "pause", "final"]
WORKFLOWS = 500
NODES = 3
THREADS = 8  # per SDK worker process, one process per node
FAIL_FIRST = 0.1  # the share of tasks whose first attempt fails
KILL_AT = (0.2, 0.35)  # fractions of all worker tasks acknowledged before the SIGKILL
CRASH_DB_AT = (0.55, 0.7)  # ... before PostgreSQL crashes
DB_DOWN_S = 1.0
# How long after the database is back a node may still answer 503 (units that were in flight).
SETTLE_S = 5.0
# Longer than the SDK's first wait (10 s) before it sends an update again after an error, so
# an update that met a dead node or database still finds its attempt live; short enough that
# what the killed node handed out, and nobody received, is retried soon.
RESPONSE_TIMEOUT_S = 12


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    with private_postgres() as pg:
        yield pg


@pytest.fixture
def nodes(cluster: PostgresCluster, tmp_path: Path) -> Iterator[list[PodiumProcess]]:
    url = cluster.create_database("podium")
    started: list[PodiumProcess] = []
    try:
        for number in range(NODES):
            (tmp_path / f"node{number}").mkdir()
            node = PodiumProcess(tmp_path / f"node{number}", "--sweep-interval", "0.2", db=url)
            started.append(node)
            node.launch()  # all at once: the migration lock lets one of them migrate
        yield [node.wait_started() for node in started]
    finally:
        for node in started:
            node.stop()


def register(api: str) -> None:
    task_def = {
        "name": TASK_TYPE,
        "ownerEmail": "chaos@podium.invalid",
        "responseTimeoutSeconds": RESPONSE_TIMEOUT_S,
        "timeoutSeconds": 0,
        "retryCount": 3,
        "retryDelaySeconds": 1,
        "retryLogic": "FIXED",
    }

    def step(ref: str, v: str) -> dict[str, Any]:
        inputs = {"v": v, "fail_first": f"${{workflow.input.fail.{ref}}}"}
        return {"name": TASK_TYPE, "taskReferenceName": ref, "inputParameters": inputs}

    definition = {
        "name": WORKFLOW,
        "version": 1,
        "schemaVersion": 2,
        "ownerEmail": "chaos@podium.invalid",
        "tasks": [
            {
                "name": "fork",
                "taskReferenceName": "fork",
                "type": "FORK_JOIN",
                "forkTasks": [[step(ref, "${workflow.input.v}")] for ref in BRANCHES],
            },
            {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": BRANCHES},
            # A timed WAIT: the system-task runners of the nodes claim and complete it.
            {
                "name": "pause",
                "taskReferenceName": "pause",
                "type": "WAIT",
                "inputParameters": {"duration": "1s"},
            },
            step("final", "${b2.output.v}"),
        ],
        "outputParameters": {
            "final": "${final.output.v}",
            "branches": [f"${{{ref}.output.v}}" for ref in BRANCHES],
        },
    }
    response = httpx.post(f"{api}/metadata/taskdefs", json=[task_def])
    assert response.status_code == 200, response.text
    response = httpx.post(f"{api}/metadata/workflow?overwrite=true", json=definition)
    assert response.status_code == 200, response.text


def start_workflows(nodes: list[PodiumProcess], rng: random.Random) -> dict[str, int]:
    """Started through every node at once; workflow id -> its input `v`."""
    requests: list[dict[str, Any]] = [
        {"name": WORKFLOW, "input": {"v": i * 10, "fail": fail}}
        for i in range(WORKFLOWS)
        for fail in [{ref: rng.random() < FAIL_FIRST for ref in WORKER_REFS}]
    ]

    def start_share(number: int) -> dict[str, int]:
        started = {}
        with httpx.Client(base_url=nodes[number].api, timeout=10) as client:
            for body in requests[number :: len(nodes)]:
                response = client.post("/workflow", json=body)
                assert response.status_code == 200, response.text
                started[response.text] = body["input"]["v"]
        return started

    with ThreadPoolExecutor(len(nodes)) as pool:
        shares = list(pool.map(start_share, range(len(nodes))))
    return {wf_id: v for share in shares for wf_id, v in share.items()}


@contextmanager
def running_workers(proxies: list[LedgerProxy]) -> Iterator[None]:
    """One SDK TaskHandler per node, all started at once; yields once each has polled."""
    handlers = [
        TaskHandler(
            workers=[sdk_worker(number)],
            configuration=Configuration(server_api_url=proxy.api, log_level="WARNING"),
            scan_for_annotated_workers=False,
        )
        for number, proxy in enumerate(proxies)
    ]
    try:
        for handler in handlers:
            handler.start_processes()
        for proxy in proxies:
            wait_for(partial(_polled, proxy), 60, f"a worker to poll {proxy.upstream}")
        yield
    finally:
        for handler in handlers:
            handler.stop_processes()
            handler.logger_process.join(5)


def sdk_worker(number: int) -> Worker:
    return Worker(TASK_TYPE, chaos_step, worker_id=f"node{number}", thread_count=THREADS)


def finished_count(url: str) -> int:
    """Workflows no longer RUNNING (0 while the database is unreachable)."""
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            row = conn.execute("SELECT count(*) FROM workflow WHERE status <> 'RUNNING'").fetchone()
    except psycopg.OperationalError:
        return 0
    return int(row[0]) if row else 0


def problems_of(wf: dict[str, Any], v: int) -> list[str]:
    """Exactly one COMPLETED attempt per task, every retry scheduled once, the right output."""
    wf_id = wf["workflowId"]
    found = []
    if wf["status"] != "COMPLETED":
        found.append(f"{wf_id}: status {wf['status']}")
    attempts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for task in wf["tasks"]:
        attempts[task["referenceTaskName"]].append(task)
    for ref in ALL_REFS:
        statuses = [t["status"] for t in attempts[ref]]
        retries = sorted(t["retryCount"] for t in attempts[ref])
        if statuses.count("COMPLETED") != 1 or retries != list(range(len(retries))):
            shown = [(t["taskId"], t["status"], t["retryCount"]) for t in attempts[ref]]
            found.append(f"{wf_id}/{ref}: attempts {shown}")
    if wf.get("output") != {"final": v + 2, "branches": [v + 1] * len(BRANCHES)}:
        found.append(f"{wf_id}: output {wf.get('output')} for input {v}")
    return found


class Run:
    """One chaos run: its seeded choices, what it observed, and how to explain a failure."""

    def __init__(self, cluster: PostgresCluster, nodes: list[PodiumProcess]) -> None:
        self.seed = int(os.environ.get("PODIUM_CHAOS_SEED", str(time.time_ns() % 2**32)))
        self.rng = random.Random(self.seed)
        self.cluster, self.nodes, self.url = cluster, nodes, nodes[0].db
        self.ledger = Ledger()
        self.watch = Invariants(self.url, overdue_after_ms=10_000)
        self.proxies: list[LedgerProxy] = []
        self.began = time.monotonic()
        self.unavailable_until = 0.0
        self.timeline: list[str] = []

    def mark(self, what: str) -> None:
        elapsed = time.monotonic() - self.began
        self.timeline.append(f"{elapsed:.1f}s {what} (acked {self.ledger.acked})")

    def within(self, check: Callable[[], T | None], timeout: float, what: str) -> T:
        try:
            return wait_for(check, timeout, what, every=0.1)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.context()}") from None

    def until_acked(self, fraction: tuple[float, float]) -> None:
        threshold = int(WORKFLOWS * len(WORKER_REFS) * self.rng.uniform(*fraction))
        self.within(lambda: self.ledger.acked >= threshold, 120, f"{threshold} acked tasks")

    def summary(self) -> str:
        http = [dict(p.statuses) for p in self.proxies]
        return (
            f"seed={self.seed} {self.timeline} observed={self.ledger.summary()}"
            f" http per node={http} db samples={self.watch.samples}"
            f" work per node={work_by_node(self.url)}"
        )

    def context(self) -> str:
        parts = [
            self.summary(),
            f"anomalies={self.ledger.anomalies[:20]}",
            f"invariant violations={self.watch.violations[:20]}",
            f"stuck tasks={stuck_tasks(self.url)[:20]}",
        ]
        for node in self.nodes:
            parts.append(f"--- node {node.url} (kills={node.kills}) ---\n{node.logs(6000)}")
        restarts = self.cluster.restarts
        parts.append(f"--- postgres (restarts={restarts}) ---\n{self.cluster.logs(3000)}")
        return "\n".join(parts)


def test_three_nodes_survive_a_sigkill_and_a_database_crash(
    cluster: PostgresCluster, nodes: list[PodiumProcess]
) -> None:
    run = Run(cluster, nodes)
    register(nodes[0].api)
    started = start_workflows(nodes, run.rng)
    run.mark(f"{len(started)} workflows started")
    with ExitStack() as stack:
        stack.enter_context(sdk_environment())
        run.proxies.extend(stack.enter_context(LedgerProxy(n.url, run.ledger)) for n in nodes)
        run.watch.start()
        stack.callback(run.watch.stop)
        stack.enter_context(running_workers(run.proxies))
        run.mark("workers polling")
        run.until_acked(KILL_AT)
        victim = nodes[run.rng.randrange(NODES)]
        victim.crash_and_restart()
        run.mark(f"node {victim.url} killed and restarted")
        run.until_acked(CRASH_DB_AT)
        crashed = time.monotonic()
        cluster.crash(down_s=DB_DOWN_S)
        run.unavailable_until = time.monotonic() + SETTLE_S
        run.mark("PostgreSQL crashed and restarted")
        run.within(partial(_all_finished, run.url, len(started)), 180, "every workflow to end")
        run.mark("every workflow ended")
    assert (victim.kills, cluster.restarts) == (1, 1), run.context()
    unavailable = [t for proxy in run.proxies for t in proxy.unavailable]
    late = [round(t - crashed, 1) for t in unavailable if not crashed <= t <= run.unavailable_until]
    assert not late, f"503 answers at {late} s from the database crash\n{run.context()}"
    assert_every_result_recorded_once(run, started)
    print(f"cluster chaos: {run.summary()}")


def assert_every_result_recorded_once(run: Run, started: dict[str, int]) -> None:
    with httpx.Client(timeout=10) as client:
        finished = {
            wf_id: client.get(f"{run.nodes[n % NODES].api}/workflow/{wf_id}").json()
            for n, wf_id in enumerate(started)
        }
    problems = [p for wf_id, v in started.items() for p in problems_of(finished[wf_id], v)]
    assert not problems, f"{len(problems)} problems: {problems[:20]}\n{run.context()}"
    violations = run.ledger.violations()
    assert not violations, f"{len(violations)} re-executions: {violations[:20]}\n{run.context()}"
    assert not run.ledger.anomalies, f"unexpected answers\n{run.context()}"
    assert not run.watch.violations, f"invariants broken\n{run.context()}"
    assert stuck_tasks(run.url) == [], run.context()
    # No leader: the system-task runner of every node (4 pids: one node was restarted) claims.
    claimers = [node for node, work in work_by_node(run.url).items() if work.get("task_claimed")]
    assert len(claimers) >= NODES, f"only {claimers} claimed system tasks\n{run.context()}"
    for node in run.nodes:
        assert node.alive, f"{node.url} died\n{run.context()}"
        assert "loop_crashed" not in node.logs(10**8), f"{node.url}\n{run.context()}"


def _polled(proxy: LedgerProxy) -> bool:
    return bool(proxy.statuses)


def _all_finished(url: str, count: int) -> bool:
    return finished_count(url) >= count
