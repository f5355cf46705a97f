"""Search latency of the PostgreSQL store over many stored executions.

    python benchmarks/search.py                        # 1,000,000 executions
    python benchmarks/search.py --executions 20000     # a quick run

Creates a fresh database (dropped at the end), migrates it with the real store, bulk-loads N
realistic executions with COPY in the row shape the store writes, runs VACUUM ANALYZE, then
times typical searches through the store's `search_workflows` (and, with `--http`, through
`GET /api/workflow/search` of a real `podium server`). Progress goes to stderr; the last line of
stdout is one JSON object with the results. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import secrets
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from search_data import (  # noqa: E402  (benchmarks/)
    DAY_MS,
    FIRST_NAMES,
    LAST_NAMES,
    WORKFLOW_NAMES,
    Facts,
    facts,
    load,
)
from throughput import BenchmarkFailed, log, percentile, servers  # noqa: E402  (benchmarks/)

from podium.model.statuses import WorkflowStatus  # noqa: E402
from podium.store import SearchRequest  # noqa: E402
from podium.store.postgres import PostgresStore  # noqa: E402

__all__ = ["main"]

TARGET_MS = 200.0
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--executions", type=int, default=1_000_000, help="executions to load [1,000,000]"
    )
    parser.add_argument(
        "--server",
        default=DEFAULT_SERVER,
        help=f"server on which a fresh database is created, then dropped [{DEFAULT_SERVER}]",
    )
    parser.add_argument(
        "--db",
        default=None,
        help="use this database instead (kept; loaded only when it holds no execution)",
    )
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each search [7]")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the data [1]")
    parser.add_argument(
        "--http", action="store_true", help="also time the searches through a podium server"
    )
    args = parser.parse_args(argv)
    if args.executions < 1000:
        parser.error("--executions must be at least 1000")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


# -- the searches -------------------------------------------------------------------------------
def searches(found: Facts) -> dict[str, SearchRequest]:
    """Typical searches of the UI and of API users, over the loaded data."""
    day = found.newest - 30 * DAY_MS
    recent = "startTime:DESC"
    return {
        "recent_first_page": SearchRequest(sort=recent),
        "type_and_failed": SearchRequest(
            query=f"workflowType IN ({WORKFLOW_NAMES[3]}) AND status IN (FAILED)", sort=recent
        ),
        "correlation_id": SearchRequest(query=f"correlationId = '{found.correlation_id}'"),
        "one_day": SearchRequest(query=f"startTime > {day} AND startTime < {day + DAY_MS}"),
        "free_text_word": SearchRequest(free_text=LAST_NAMES[0], sort=recent),
        "free_text_email": SearchRequest(free_text=f"{FIRST_NAMES[0]}.{LAST_NAMES[0]}@example.com"),
        "free_text_workflow_id": SearchRequest(free_text=found.workflow_id),
        "deep_page": SearchRequest(sort=recent, start=5000),
        "running_by_update": SearchRequest(
            query=f"status = {WorkflowStatus.RUNNING}", sort="updateTime:DESC"
        ),
        "type_last_week": SearchRequest(
            query=f"workflowType = {WORKFLOW_NAMES[0]} AND startTime > {found.newest - 7 * DAY_MS}"
        ),
        "free_text_word_and_type": SearchRequest(
            query=f"workflowType = {WORKFLOW_NAMES[10]}", free_text=LAST_NAMES[1]
        ),
    }


@dataclass(frozen=True, slots=True)
class Timing:
    """Latencies of one search and what it found."""

    total_hits: int
    rows: int
    millis: list[float]

    def report(self, request: SearchRequest) -> dict[str, Any]:
        median, p95 = statistics.median(self.millis), percentile(self.millis, 95)
        return {
            "query": request.query,
            "free_text": request.free_text,
            "sort": request.sort,
            "start": request.start,
            "total_hits": self.total_hits,
            "rows": self.rows,
            "median_ms": round(median, 1),
            "p95_ms": round(p95, 1),
            "under_200ms": median < TARGET_MS,
        }


async def time_search(
    search: Callable[[SearchRequest], Awaitable[tuple[int, int]]],
    request: SearchRequest,
    runs: int,
) -> Timing:
    """One warm-up, then `runs` timed searches."""
    total, rows = await search(request)
    millis = []
    for _ in range(runs):
        began = time.perf_counter()
        await search(request)
        millis.append((time.perf_counter() - began) * 1000)
    return Timing(total, rows, millis)


async def time_store(url: str, requests: dict[str, SearchRequest], runs: int) -> dict[str, Any]:
    store = PostgresStore(url, max_size=2)
    await store.open()

    async def search(request: SearchRequest) -> tuple[int, int]:
        async with store.transaction() as tx:
            page = await tx.search_workflows(request)
        return page.total, len(page.items)

    try:
        report = {}
        for name, request in requests.items():
            report[name] = (await time_search(search, request, runs)).report(request)
            log(f"store {name}: {report[name]['median_ms']} ms")
        return report
    finally:
        await store.close()


async def time_http(api: str, requests: dict[str, SearchRequest], runs: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=api, timeout=60) as client:

        async def search(request: SearchRequest) -> tuple[int, int]:
            params: dict[str, str | int] = {
                "query": request.query or "",
                "freeText": request.free_text or "*",
                "sort": request.sort or "",
                "start": request.start,
                "size": request.size,
            }
            response = await client.get("/workflow/search", params=params)
            if response.status_code != 200:
                raise BenchmarkFailed(f"search -> {response.status_code}: {response.text[:300]}")
            body = orjson.loads(response.content)
            return int(body["totalHits"]), len(body["results"])

        report = {}
        for name, request in requests.items():
            report[name] = (await time_search(search, request, runs)).report(request)
            log(f"http {name}: {report[name]['median_ms']} ms")
        return report


# -- the database -------------------------------------------------------------------------------
@contextlib.contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    """The URL of the database to search: `--db`, or a fresh one dropped afterwards."""
    if args.db is not None:
        yield args.db
        return
    name = f"podium_search_bench_{secrets.token_hex(4)}"
    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        log(f"created database {name}")
        try:
            yield f"{args.server}/{name}"
        finally:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            log(f"dropped database {name}")


async def migrate(url: str) -> None:
    store = PostgresStore(url, max_size=1)
    await store.open()  # applies the migrations
    await store.close()


def prepare(url: str, args: argparse.Namespace) -> float:
    """Migrate and, unless it holds executions already, load the database; load seconds."""
    asyncio.run(migrate(url))
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT EXISTS (SELECT FROM workflow)").fetchone() == (True,):
            log("the database holds executions already: not loading")
            return 0.0
    log(f"loading {args.executions:,} executions")
    seconds = load(url, args.executions, args.seed, log)
    log(f"loaded in {seconds:.0f}s")
    return seconds


def setting(conn: psycopg.Connection[Any], name: str) -> str:
    row = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
    return str(row[0]) if row else ""


def context(args: argparse.Namespace, url: str) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        settings = {name: setting(conn, name) for name in ("server_version", "shared_buffers")}
    return {
        "runs": args.runs,
        "seed": args.seed,
        "postgres": settings,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
    }


def benchmark(args: argparse.Namespace, url: str) -> dict[str, Any]:
    load_s = prepare(url, args)
    found = facts(url)
    requests = searches(found)
    result: dict[str, Any] = {"executions": found.count, "load_s": round(load_s, 1)}
    result["store"] = asyncio.run(time_store(url, requests, args.runs))
    if args.http:
        with servers(url, 1) as (proc,):
            result["http"] = asyncio.run(time_http(proc.api, requests, args.runs))
    timed = [q for part in ("store", "http") for q in result.get(part, {}).values()]
    result["all_under_200ms"] = all(q["under_200ms"] for q in timed)
    return {**result, **context(args, url)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with database(args) as url:
            result = benchmark(args, url)
    except (BenchmarkFailed, psycopg.Error, httpx.HTTPError, AssertionError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
        log(f"FAILED: {reason}")
        print(orjson.dumps({"error": reason, "executions": args.executions}).decode())
        return 1
    print(orjson.dumps(result).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
