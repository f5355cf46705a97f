"""End-to-end throughput of a real `podium server`, driven the way SDK workers drive it.

    python benchmarks/throughput.py --workflows 200 --tasks 3

Starts a server on its own database, registers one sequential workflow of K `bench_task` tasks
(each task's input references the previous task's output), starts N executions concurrently and
completes every task with W worker coroutines doing batch poll + update-v2 (the SDK's tight
loop: the task that update-v2 returns is processed next). Progress goes to stderr; the last line
of stdout is one JSON object with the results. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import orjson
import psutil  # type: ignore[import-untyped, unused-ignore]  # types-psutil is optional
import psycopg

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.server import PodiumProcess  # noqa: E402  (needs the repo root on sys.path)

__all__ = ["main"]

TASK_TYPE = "bench_task"
POLL_TIMEOUT_MS = 100
START_CONCURRENCY = 16
PROGRESS_EVERY_S = 1.0
RSS_EVERY_S = 0.1


class BenchmarkFailed(Exception):
    """The run did not complete every workflow it started."""


# -- setup --------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--workflows", type=int, required=True, help="executions to start (N)")
    parser.add_argument("--tasks", type=int, required=True, help="tasks per workflow (K)")
    parser.add_argument("--db", default=None, help="database URL [default: a temp SQLite file]")
    parser.add_argument("--workers", type=int, default=8, help="worker coroutines (W)")
    parser.add_argument("--batch", type=int, default=10, help="batch poll count (B)")
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="start R workflows per second (open loop) instead of all at once; with all at "
        "once the queue wait measures the backlog, paced it measures dispatch latency",
    )
    parser.add_argument(
        "--nodes",
        type=int,
        default=1,
        help="server processes on the one --db (PostgreSQL); starts and workers are spread "
        "over them round-robin",
    )
    parser.add_argument(
        "--preload",
        action="store_true",
        help="start all N workflows before any worker runs, so the workers drain a queue N "
        "deep; the clock starts with the workers",
    )
    parser.add_argument(
        "--backlog",
        type=int,
        default=0,
        help="before the run, put B extra entries in the bench_task queue, due in a day (like "
        "tasks waiting for a retry delay or a callback), so every claim searches a queue at "
        "least B deep",
    )
    parser.add_argument(
        "--auth",
        action="store_true",
        help="serve with --auth: register, start and verify as an ADMIN application, poll and "
        "update as a WORKER application granted EXECUTE on the task type (the checked path)",
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after S seconds")
    args = parser.parse_args(argv)
    for name in ("workflows", "tasks", "workers", "batch", "nodes"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.nodes > 1 and not (args.db or "").startswith(("postgres://", "postgresql://")):
        parser.error("--nodes above 1 needs a shared PostgreSQL --db")
    if args.preload and args.rate:
        parser.error("--preload and --rate exclude each other")
    if args.backlog < 0:
        parser.error("--backlog must not be negative")
    return args


def workflow_def(name: str, tasks: int) -> dict[str, Any]:
    """K SIMPLE tasks in sequence; t<k> reads the output of t<k-1> (expression resolution)."""
    steps = [
        {
            "name": TASK_TYPE,
            "taskReferenceName": f"t{k}",
            "type": "SIMPLE",
            "inputParameters": {
                "i": "${workflow.input.i}" if k == 0 else f"${{t{k - 1}.output.i}}"
            },
        }
        for k in range(tasks)
    ]
    return {
        "name": name,
        "version": 1,
        "schemaVersion": 2,
        "ownerEmail": "bench@podium.invalid",
        "tasks": steps,
        "outputParameters": {"i": f"${{t{tasks - 1}.output.i}}"},
    }


TASK_DEF: dict[str, Any] = {
    "name": TASK_TYPE,
    "ownerEmail": "bench@podium.invalid",
    "retryCount": 0,
    "timeoutSeconds": 0,
    # Tasks held in a worker's local batch must not time out while it works through them.
    "responseTimeoutSeconds": 3600,
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


# -- server RSS -----------------------------------------------------------------------------------
class RssSampler:
    """Samples the summed RSS of process trees (one per server node) every 100 ms in a thread
    (the event loop is busy)."""

    def __init__(self, pids: list[int]) -> None:
        self.processes = [psutil.Process(pid) for pid in pids]
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _sample(self) -> int:
        total = 0
        for root in self.processes:
            for proc in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += int(proc.memory_info().rss)
        return total

    def cpu_seconds(self) -> float:
        return sum(float(t.user + t.system) for t in (p.cpu_times() for p in self.processes))

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.peak_bytes = max(self.peak_bytes, self._sample())
            self._stop.wait(RSS_EVERY_S)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


# -- the run ------------------------------------------------------------------------------------
@dataclass
class Run:
    """Shared state of one benchmark run."""

    apis: list[str]
    session: aiohttp.ClientSession
    workflow_name: str
    workflows: int
    tasks: int
    batch: int
    rate: float = 0.0
    preload: bool = False
    ids: list[str] = field(default_factory=list)
    admin: dict[str, str] = field(default_factory=dict)
    """Headers of the register/start/verify calls (a token with --auth)."""
    worker: dict[str, str] = field(default_factory=dict)
    """Headers of polls and updates (a WORKER's token with --auth)."""
    completed_tasks: int = 0
    polls: int = 0
    empty_polls: int = 0
    chained: int = 0  # update-v2 answers that carried the next task
    queue_waits_ms: list[float] = field(default_factory=list)
    updates_ms: list[float] = field(default_factory=list)
    first_start: float = 0.0
    last_completion: float = 0.0
    all_done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def expected_tasks(self) -> int:
        return self.workflows * self.tasks

    def api(self, number: int = 0) -> str:
        """The API of node `number` modulo the node count."""
        return self.apis[number % len(self.apis)]


async def request_json(
    run: Run, method: str, path: str, body: object = None, *, node: int = 0
) -> Any:
    data = None if body is None else orjson.dumps(body)
    headers = {"Content-Type": "application/json", **run.admin}
    url = run.api(node) + path
    async with run.session.request(method, url, data=data, headers=headers) as resp:
        text = await resp.read()
        if resp.status != 200:
            raise BenchmarkFailed(f"{method} {path} -> {resp.status}: {text[:500]!r}")
        return orjson.loads(text) if text and resp.content_type == "application/json" else text


async def sign_in(run: Run, db: str) -> None:
    """An ADMIN application for the client's calls, a WORKER one granted the task type."""

    async def application(role: str) -> tuple[str, dict[str, str]]:
        command = ["apps", "create", f"bench-{role}", "--role", role, "--db", db]
        made = subprocess.run(
            [sys.executable, "-m", "podium", *command],
            check=True,
            capture_output=True,
            text=True,
        )
        app = orjson.loads(made.stdout.strip().splitlines()[-1])
        body = {"keyId": app["keyId"], "keySecret": app["keySecret"]}
        answer = await request_json(run, "POST", "/token", body)
        return app["id"], {"X-Authorization": answer["token"]}

    _admin_id, run.admin = await application("ADMIN")
    worker_id, run.worker = await application("WORKER")
    grant = {
        "subject": {"type": "USER", "id": f"app:{worker_id}"},
        "target": {"type": "TASK_DEF", "id": TASK_TYPE},
        "access": ["EXECUTE"],
    }
    await request_json(run, "POST", "/auth/authorization", grant)


async def register(run: Run) -> None:
    await request_json(run, "POST", "/metadata/taskdefs", [TASK_DEF])
    definition = workflow_def(run.workflow_name, run.tasks)
    await request_json(run, "POST", "/metadata/workflow?overwrite=true", definition)


async def start_workflows(run: Run) -> None:
    """Start N executions with a few concurrent starters sharing one keep-alive pool."""
    numbers = iter(range(run.workflows))

    async def starter() -> None:
        for i in numbers:
            if run.rate > 0:  # open loop: workflow i starts at i / rate seconds
                await asyncio.sleep(max(0.0, run.first_start + i / run.rate - time.perf_counter()))
            body = {"name": run.workflow_name, "version": 1, "input": {"i": i}}
            started = await request_json(run, "POST", "/workflow", body, node=i)
            run.ids.append(started.decode())

    run.first_start = time.perf_counter()
    await asyncio.gather(*(starter() for _ in range(START_CONCURRENCY)))
    log(f"started {len(run.ids)} workflows in {time.perf_counter() - run.first_start:.2f}s")


async def poll(run: Run, worker_id: str, node: int) -> list[dict[str, Any]]:
    path = f"/tasks/poll/batch/{TASK_TYPE}"
    params = {"workerid": worker_id, "count": str(run.batch), "timeout": str(POLL_TIMEOUT_MS)}
    async with run.session.get(run.api(node) + path, params=params, headers=run.worker) as resp:
        body = await resp.read()
        if resp.status != 200:
            raise BenchmarkFailed(f"batch poll -> {resp.status}: {body[:500]!r}")
        tasks: list[dict[str, Any]] = orjson.loads(body)
    run.polls += 1
    run.empty_polls += not tasks
    return tasks


async def complete(
    run: Run, task: dict[str, Any], worker_id: str, node: int
) -> dict[str, Any] | None:
    """Post the result with update-v2; returns the next task it claimed for this worker."""
    i = int(task["inputData"].get("i") or 0)
    result = {
        "workflowInstanceId": task["workflowInstanceId"],
        "taskId": task["taskId"],
        "status": "COMPLETED",
        "outputData": {"i": i + 1},
        "workerId": worker_id,
    }
    headers = {"Content-Type": "application/json", **run.worker}
    sent = time.perf_counter()
    url = run.api(node) + "/tasks/update-v2"
    async with run.session.post(url, data=orjson.dumps(result), headers=headers) as resp:
        body = await resp.read()
    run.updates_ms.append((time.perf_counter() - sent) * 1000)
    if resp.status not in (200, 204):
        raise BenchmarkFailed(f"update-v2 of {task['taskId']} -> {resp.status}: {body[:500]!r}")
    task_done(run)
    if resp.status == 204 or not body:
        return None
    upcoming: dict[str, Any] = orjson.loads(body)
    run.chained += 1
    return upcoming


def task_done(run: Run) -> None:
    run.completed_tasks += 1
    if run.completed_tasks >= run.expected_tasks:
        run.last_completion = time.perf_counter()
        run.all_done.set()


def record_queue_wait(run: Run, task: dict[str, Any]) -> None:
    """Server stamps: scheduled (queued) -> started (claimed by a poll or update-v2)."""
    scheduled, started = task.get("scheduledTime") or 0, task.get("startTime") or 0
    if scheduled and started:
        run.queue_waits_ms.append(float(started - scheduled))


async def worker(run: Run, number: int) -> None:
    """Batch poll, then work through the local queue; update-v2 feeds it the next task.
    Worker `number` talks to node `number` (modulo the node count)."""
    worker_id = f"bench-{number}"
    local: deque[dict[str, Any]] = deque()
    while not run.all_done.is_set():
        if not local:
            local.extend(await poll(run, worker_id, number))
            continue
        task = local.popleft()
        record_queue_wait(run, task)
        upcoming = await complete(run, task, worker_id, number)
        if upcoming is not None:
            local.append(upcoming)


async def report_progress(run: Run) -> None:
    while not run.all_done.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(run.all_done.wait(), PROGRESS_EVERY_S)
        elapsed = time.perf_counter() - run.first_start if run.first_start else 0.0
        rate = run.completed_tasks / elapsed if elapsed else 0.0
        log(
            f"{run.completed_tasks}/{run.expected_tasks} tasks, "
            f"{len(run.ids)}/{run.workflows} started, {rate:.0f} tasks/s"
        )


async def drive(run: Run, workers: int) -> None:
    """Start everything and complete every task; a failing coroutine fails the run."""
    jobs: list[asyncio.Task[None]] = []
    if run.preload:
        await start_workflows(run)
        run.first_start = time.perf_counter()  # the clock runs while the queue is drained
    else:
        jobs.append(asyncio.create_task(start_workflows(run)))
    jobs += [asyncio.create_task(worker(run, n)) for n in range(workers)]
    progress = asyncio.create_task(report_progress(run))
    try:
        # Workers return within one poll timeout of the last completion; a failure ends it all.
        finished, _ = await asyncio.wait(jobs, return_when=asyncio.FIRST_EXCEPTION)
        for job in finished:
            job.result()
    finally:
        for job in [*jobs, progress]:
            job.cancel()
        await asyncio.gather(*jobs, progress, return_exceptions=True)


async def verify(run: Run) -> None:
    """Every started workflow must be COMPLETED (the last update decided it, same transaction)."""
    # Counting those left over, not those done: search totals stop at 10,000.
    query = f"workflowType='{run.workflow_name}' AND status!='COMPLETED'"
    found = await request_json(
        run, "GET", "/workflow/search?" + urlencode({"query": query, "size": 0})
    )
    if int(found["totalHits"]) == 0:
        return
    pending = []
    for wf_id in run.ids:
        wf = await request_json(run, "GET", f"/workflow/{wf_id}?includeTasks=false")
        if wf["status"] != "COMPLETED":
            pending.append(f"{wf_id}={wf['status']}")
    raise BenchmarkFailed(
        f"{found['totalHits']}/{run.workflows} workflows not COMPLETED: {pending[:20]}"
    )


# -- backlog ------------------------------------------------------------------------------------
def fill_backlog(db: str, count: int) -> None:
    """Queue entries due in a day: they deepen the queue every claim searches and are never
    handed out during the run (they have no task rows: a claim would drop them)."""
    due = int(time.time() * 1000) + 86_400_000
    if db.startswith("sqlite:"):
        with sqlite3.connect(db.removeprefix("sqlite:///")) as lite:
            lite.executemany(
                "INSERT INTO queue (task_id, queue_name, workflow_id, priority, visible_at)"
                " VALUES (?, ?, 'backlog', 0, ?)",
                [(f"backlog-{n}", TASK_TYPE, due + n) for n in range(count)],
            )
        return
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO queue (task_id, queue_name, workflow_id, priority, visible_at)"
            " SELECT 'backlog-' || n, %s, 'backlog', 0, %s + n FROM generate_series(1, %s) n",
            (TASK_TYPE, due, count),
        )
        conn.execute("ANALYZE queue")


def count_backlog(db: str) -> int:
    sql = "SELECT count(*) FROM queue WHERE workflow_id='backlog'"
    if db.startswith("sqlite:"):
        with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
            return int(conn.execute(sql).fetchone()[0])
    with psycopg.connect(db) as conn:
        row = conn.execute(sql).fetchone()
        return int(row[0]) if row else 0


# -- results ------------------------------------------------------------------------------------
def results(run: Run, peak_rss: int) -> dict[str, Any]:
    elapsed = run.last_completion - run.first_start
    return {
        "workflows_per_s": round(run.workflows / elapsed, 1),
        "tasks_per_s": round(run.expected_tasks / elapsed, 1),
        "queue_wait_p50_ms": round(percentile(run.queue_waits_ms, 50), 1),
        "queue_wait_p99_ms": round(percentile(run.queue_waits_ms, 99), 1),
        "update_p50_ms": round(percentile(run.updates_ms, 50), 2),
        "update_p99_ms": round(percentile(run.updates_ms, 99), 2),
        "peak_server_rss_mb": round(peak_rss / 2**20, 1),
        "elapsed_s": round(elapsed, 2),
    }


def context(args: argparse.Namespace, db: str) -> dict[str, Any]:
    return {
        "workflows": args.workflows,
        "tasks_per_workflow": args.tasks,
        "db": db,
        "workers": args.workers,
        "batch": args.batch,
        "rate": args.rate,
        "nodes": args.nodes,
        "preload": args.preload,
        "backlog": args.backlog,
        "auth": args.auth,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
    }


@contextlib.contextmanager
def servers(db: str | None, count: int, *extra: str) -> Iterator[list[PodiumProcess]]:
    """`count` server processes on one database (a temp SQLite file unless `db` is given)."""
    with tempfile.TemporaryDirectory(prefix="podium-bench-") as tmp:
        procs: list[PodiumProcess] = []
        try:
            for n in range(count):
                (Path(tmp) / str(n)).mkdir()
                proc = PodiumProcess(Path(tmp) / str(n), *extra)
                proc.db = db or f"sqlite:///{Path(tmp) / 'podium.db'}"
                log(f"starting podium on {proc.url} with {proc.db}")
                procs.append(proc.start())
            yield procs
        finally:
            for proc in procs:
                proc.stop()


def client_session() -> aiohttp.ClientSession:
    """Keep-alive HTTP; limit=0: the worker coroutines, not the pool, bound the concurrency."""
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=60)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60))


async def bounded(args: argparse.Namespace, procs: list[PodiumProcess]) -> dict[str, Any]:
    try:
        return await asyncio.wait_for(benchmark(args, procs), args.timeout)
    except TimeoutError as exc:
        raise BenchmarkFailed(f"did not finish within --timeout {args.timeout}s") from exc


async def benchmark(args: argparse.Namespace, procs: list[PodiumProcess]) -> dict[str, Any]:
    pids = [p.proc.pid for p in procs if p.proc is not None]
    async with client_session() as session:
        run = Run(
            apis=[p.api for p in procs],
            session=session,
            workflow_name=f"bench_throughput_{uuid.uuid4().hex[:8]}",
            workflows=args.workflows,
            tasks=args.tasks,
            batch=args.batch,
            rate=args.rate,
            preload=args.preload,
        )
        if args.auth:
            await sign_in(run, procs[0].db)
        await register(run)
        if args.backlog:
            fill_backlog(procs[0].db, args.backlog)
            log(f"queued a backlog of {args.backlog} entries")
        with RssSampler(pids) as rss:
            server_cpu, client_cpu = rss.cpu_seconds(), time.process_time()
            await drive(run, args.workers)
            server_cpu, client_cpu = (
                rss.cpu_seconds() - server_cpu,
                time.process_time() - client_cpu,
            )
        # If the client's CPU nears a core, the load generator, not the server, is measured.
        log(f"CPU during the run: server {server_cpu:.2f}s, load generator {client_cpu:.2f}s")
        await verify(run)
        log(f"verified: all {run.workflows} workflows COMPLETED")
        log(
            f"{run.polls} batch polls ({run.empty_polls} empty), "
            f"{run.chained}/{run.expected_tasks} update-v2 answers carried the next task"
        )
        measured = results(run, rss.peak_bytes)
        if args.backlog:
            measured["backlog_left"] = count_backlog(procs[0].db)
        return measured


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with servers(args.db, args.nodes, *(["--auth"] if args.auth else [])) as procs:
            info = context(args, procs[0].db)
            measured = asyncio.run(bounded(args, procs))
    except (BenchmarkFailed, AssertionError, aiohttp.ClientError, TimeoutError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
        log(f"FAILED: {reason}")
        print(orjson.dumps({"error": reason, **context(args, args.db or "sqlite (temp)")}).decode())
        return 1
    print(orjson.dumps({**measured, **info}).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
