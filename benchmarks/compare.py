"""Median of repeated throughput runs, and the change from a baseline.

    python benchmarks/compare.py before.jsonl after.jsonl

Each file holds one JSON result per line (the last stdout line of each `throughput.py` run).
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any

import orjson

__all__ = ["main"]

METRICS = [
    "workflows_per_s",
    "tasks_per_s",
    "queue_wait_p50_ms",
    "queue_wait_p99_ms",
    "update_p50_ms",
    "update_p99_ms",
    "peak_server_rss_mb",
]
HIGHER_IS_BETTER = {"workflows_per_s", "tasks_per_s"}


def load(path: Path) -> list[dict[str, Any]]:
    runs = [orjson.loads(line) for line in path.read_text().splitlines() if line.strip()]
    failed = [run for run in runs if "error" in run]
    if failed:
        raise SystemExit(f"{path}: {len(failed)} failed run(s): {failed[0]['error']}")
    return runs


def medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    return {m: float(statistics.median(float(run[m]) for run in runs)) for m in METRICS}


def change(metric: str, before: float, after: float) -> str:
    if before == 0:
        return "=" if after == 0 else "(was 0)"
    pct = (after - before) / before * 100
    better = pct > 0 if metric in HIGHER_IS_BETTER else pct < 0
    return f"{pct:+.1f}% ({'better' if better else 'worse'})" if abs(pct) >= 0.05 else "="


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print(__doc__, file=sys.stderr)
        return 2
    columns = [medians(load(Path(p))) for p in argv]
    print(f"{'metric':<20}" + "".join(f"{Path(p).name:>18}" for p in argv))
    for metric in METRICS:
        row = f"{metric:<20}" + "".join(f"{col[metric]:>18.2f}" for col in columns)
        if len(columns) == 2:
            row += "  " + change(metric, columns[0][metric], columns[1][metric])
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
