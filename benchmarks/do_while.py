"""Cost of one DO_WHILE iteration early and late in a long loop, on a real `podium server`.

    python benchmarks/do_while.py --iterations 10000

Registers a workflow whose only task is a DO_WHILE looping `--iterations` times over an INLINE
task (`$.i + 1` over the previous iteration's result) and a SIMPLE task `loop_work`, starts one
execution and completes `loop_work` with one worker doing batch poll + update-v2 (each update-v2
answer carries the next iteration's `loop_work`). Architecture §2 invariant 6: an iteration must
cost about the same at 10,000 as at 1, so the result compares the median time per iteration of
the first and the last 1,000. Progress goes to stderr; the last line of stdout is one JSON
object. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import platform
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.server import PodiumProcess  # noqa: E402  (needs the repo root on sys.path)
from throughput import (  # noqa: E402  (benchmarks/)
    BenchmarkFailed,
    RssSampler,
    client_session,
    log,
    servers,
)

__all__ = ["main"]

TASK_TYPE = "loop_work"
LOOP_REF = "loop"
INLINE_REF = "next_i"
POLL_TIMEOUT_MS = 100
POLL_BATCH = 10
PROGRESS_EVERY_S = 5.0


# -- setup --------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--iterations", type=int, default=10_000, help="loop iterations (N)")
    parser.add_argument("--db", default=None, help="database URL [default: a temp SQLite file]")
    parser.add_argument(
        "--window",
        type=int,
        default=1000,
        help="iterations in the first and the last window compared [default: 1000]",
    )
    parser.add_argument(
        "--keep-last-n",
        type=int,
        default=0,
        help="DO_WHILE keepLastN: keep only the last K iterations' outputs in the loop task's "
        "output [default: 0 = keep all, as Conductor does]",
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="give up after S seconds")
    args = parser.parse_args(argv)
    if args.iterations < 2:
        parser.error("--iterations must be at least 2")
    if args.window < 1:
        parser.error("--window must be at least 1")
    if args.keep_last_n < 0:
        parser.error("--keep-last-n must not be negative")
    return args


def workflow_def(name: str, iterations: int, keep_last_n: int) -> dict[str, Any]:
    """One DO_WHILE over INLINE `next_i` (previous `loop_work` result + 1) and SIMPLE `loop_work`.

    Inside the body `${loop_work.output.i}` is the newest `loop_work` attempt, so `next_i` of
    iteration n reads the result of iteration n-1 (null in the first). The loop condition binds
    `$.<loop ref>` to the loop task's output, whose `iteration` is the one just finished.
    """
    body = [
        {
            "name": INLINE_REF,
            "taskReferenceName": INLINE_REF,
            "type": "INLINE",
            "inputParameters": {
                "evaluatorType": "javascript",
                "expression": "($.i || 0) + 1",
                "i": f"${{{TASK_TYPE}.output.i}}",
            },
        },
        {
            "name": TASK_TYPE,
            "taskReferenceName": TASK_TYPE,
            "type": "SIMPLE",
            "inputParameters": {"i": f"${{{INLINE_REF}.output.result}}"},
        },
    ]
    loop_input: dict[str, Any] = {"keepLastN": keep_last_n} if keep_last_n else {}
    loop = {
        "name": LOOP_REF,
        "taskReferenceName": LOOP_REF,
        "type": "DO_WHILE",
        "inputParameters": loop_input,
        "loopCondition": f"$.{LOOP_REF}['iteration'] < {iterations}",
        "loopOver": body,
    }
    return {
        "name": name,
        "version": 1,
        "schemaVersion": 2,
        "ownerEmail": "bench@podium.invalid",
        "tasks": [loop],
        "outputParameters": {
            "iterations": f"${{{LOOP_REF}.output.iteration}}",
            "i": f"${{{TASK_TYPE}.output.i}}",
        },
    }


TASK_DEF: dict[str, Any] = {
    "name": TASK_TYPE,
    "ownerEmail": "bench@podium.invalid",
    "retryCount": 0,
    "timeoutSeconds": 0,
    "responseTimeoutSeconds": 3600,
}


# -- the run ------------------------------------------------------------------------------------
@dataclass
class Run:
    """Shared state of one benchmark run."""

    api: str
    session: aiohttp.ClientSession
    workflow_name: str
    iterations: int
    workflow_id: str = ""
    started: float = 0.0
    completions: list[float] = field(default_factory=list)
    """perf_counter() after each update-v2 answer, one per iteration."""
    polls: int = 0
    chained: int = 0


async def request_json(run: Run, method: str, path: str, body: object = None) -> Any:
    data = None if body is None else orjson.dumps(body)
    headers = {"Content-Type": "application/json"}
    async with run.session.request(method, run.api + path, data=data, headers=headers) as resp:
        text = await resp.read()
        if resp.status != 200:
            raise BenchmarkFailed(f"{method} {path} -> {resp.status}: {text[:500]!r}")
        return orjson.loads(text) if text and resp.content_type == "application/json" else text


async def poll(run: Run) -> list[dict[str, Any]]:
    path = f"/tasks/poll/batch/{TASK_TYPE}"
    params = {"workerid": "bench-0", "count": str(POLL_BATCH), "timeout": str(POLL_TIMEOUT_MS)}
    async with run.session.get(run.api + path, params=params) as resp:
        body = await resp.read()
        if resp.status != 200:
            raise BenchmarkFailed(f"batch poll -> {resp.status}: {body[:500]!r}")
        tasks: list[dict[str, Any]] = orjson.loads(body)
    run.polls += 1
    return tasks


async def complete(run: Run, task: dict[str, Any]) -> dict[str, Any] | None:
    """Echo `i` back with update-v2; returns the next `loop_work` it claimed, if any."""
    result = {
        "workflowInstanceId": task["workflowInstanceId"],
        "taskId": task["taskId"],
        "status": "COMPLETED",
        "outputData": {"i": task["inputData"].get("i")},
        "workerId": "bench-0",
    }
    headers = {"Content-Type": "application/json"}
    url = run.api + "/tasks/update-v2"
    async with run.session.post(url, data=orjson.dumps(result), headers=headers) as resp:
        body = await resp.read()
    done = time.perf_counter()
    if resp.status not in (200, 204):
        raise BenchmarkFailed(f"update-v2 of {task['taskId']} -> {resp.status}: {body[:500]!r}")
    run.completions.append(done)
    if resp.status == 204 or not body:
        return None
    run.chained += 1
    upcoming: dict[str, Any] = orjson.loads(body)
    return upcoming


async def worker(run: Run) -> None:
    """One worker: poll when it holds no task, otherwise complete it and take the next."""
    local: list[dict[str, Any]] = []
    while len(run.completions) < run.iterations:
        if not local:
            local.extend(await poll(run))
            if not local:
                await check_running(run)
            continue
        upcoming = await complete(run, local.pop(0))
        if upcoming is not None:
            local.append(upcoming)


async def check_running(run: Run) -> None:
    """An empty poll before the last iteration: fail at once if the workflow has ended."""
    wf = await request_json(run, "GET", f"/workflow/{run.workflow_id}?includeTasks=false")
    if wf["status"] != "RUNNING":
        raise BenchmarkFailed(
            f"workflow {run.workflow_id} is {wf['status']} after {len(run.completions)}"
            f"/{run.iterations} iterations: {wf.get('reasonForIncompletion')}"
        )


async def report_progress(run: Run) -> None:
    shown = 0
    while True:
        await asyncio.sleep(PROGRESS_EVERY_S)
        done = len(run.completions)
        recent = durations_ms(run)[shown:]
        shown = done
        median = statistics.median(recent) if recent else 0.0
        log(f"{done}/{run.iterations} iterations, last {len(recent)}: median {median:.2f} ms")


async def drive(run: Run) -> None:
    await request_json(run, "POST", "/metadata/taskdefs", [TASK_DEF])
    start = {"name": run.workflow_name, "version": 1, "input": {}}
    run.started = time.perf_counter()
    run.workflow_id = (await request_json(run, "POST", "/workflow", start)).decode()
    progress = asyncio.create_task(report_progress(run))
    try:
        await worker(run)
    finally:
        progress.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await progress


async def verify(run: Run) -> str:
    """The last update decided the workflow in its own transaction: it must be COMPLETED."""
    wf = await request_json(run, "GET", f"/workflow/{run.workflow_id}?includeTasks=false")
    status = str(wf["status"])
    output = wf.get("output") or {}
    if status != "COMPLETED":
        reason = wf.get("reasonForIncompletion")
        raise BenchmarkFailed(f"workflow {run.workflow_id} is {status}, not COMPLETED: {reason}")
    if output.get("iterations") != run.iterations or output.get("i") != run.iterations:
        raise BenchmarkFailed(f"workflow {run.workflow_id} ended with output {output}")
    return status


# -- results ------------------------------------------------------------------------------------
def durations_ms(run: Run) -> list[float]:
    """Wall time of each iteration: from the previous completion (or the start) to this one."""
    marks = [run.started, *run.completions]
    return [(b - a) * 1000 for a, b in itertools.pairwise(marks)]


def results(run: Run, window: int, peak_rss: int, status: str) -> dict[str, Any]:
    per = durations_ms(run)
    window = min(window, len(per))
    first = statistics.median(per[:window])
    last = statistics.median(per[-window:])
    return {
        "iterations": run.iterations,
        "total_s": round(run.completions[-1] - run.started, 2),
        "per_iteration_ms_first_1000": round(first, 3),
        "per_iteration_ms_last_1000": round(last, 3),
        "ratio_last_to_first": round(last / first, 3),
        "peak_server_rss_mb": round(peak_rss / 2**20, 1),
        "status": status,
    }


def context(args: argparse.Namespace, db: str) -> dict[str, Any]:
    return {
        "window": args.window,
        "keep_last_n": args.keep_last_n,
        "db": db,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
    }


async def benchmark(args: argparse.Namespace, proc: PodiumProcess) -> dict[str, Any]:
    assert proc.proc is not None
    async with client_session() as session:
        run = Run(
            api=proc.api,
            session=session,
            workflow_name=f"bench_do_while_{uuid.uuid4().hex[:8]}",
            iterations=args.iterations,
        )
        definition = workflow_def(run.workflow_name, args.iterations, args.keep_last_n)
        await request_json(run, "POST", "/metadata/workflow?overwrite=true", definition)
        with RssSampler([proc.proc.pid]) as rss:
            server_cpu, client_cpu = rss.cpu_seconds(), time.process_time()
            try:
                await asyncio.wait_for(drive(run), args.timeout)
            except TimeoutError as exc:
                done = len(run.completions)
                raise BenchmarkFailed(
                    f"{done}/{args.iterations} iterations within --timeout {args.timeout}s"
                ) from exc
            server_cpu = rss.cpu_seconds() - server_cpu
            client_cpu = time.process_time() - client_cpu
        log(f"CPU during the run: server {server_cpu:.2f}s, load generator {client_cpu:.2f}s")
        log(f"{run.polls} batch polls, {run.chained} update-v2 answers carried the next task")
        status = await verify(run)
        log(f"verified: workflow {run.workflow_id} COMPLETED after {args.iterations} iterations")
        return results(run, args.window, rss.peak_bytes, status)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with servers(args.db, 1) as (proc,):
            info = context(args, proc.db)
            measured = asyncio.run(benchmark(args, proc))
    except (BenchmarkFailed, AssertionError, aiohttp.ClientError, TimeoutError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
        log(f"FAILED: {reason}")
        failed = {"error": reason, "iterations": args.iterations}
        print(orjson.dumps({**failed, **context(args, args.db or "sqlite (temp)")}).decode())
        return 1
    print(orjson.dumps({**measured, **info}).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
