"""Realistic executions for `search.py`, bulk-loaded in exactly the row shape the store writes.

Rows come from `podium.store.rows.workflow_row`, the function the PostgreSQL store's INSERT
uses, so the bodies, columns and their order are the real ones. Everything is drawn from one
seeded `random.Random`: the same seed and count load the same data.
"""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, LiteralString

import psycopg
from psycopg import sql

from podium.model.executions import Workflow
from podium.model.statuses import WorkflowStatus
from podium.store.rows import WORKFLOW_ROW_COLUMNS, workflow_row

__all__ = ["DAY_MS", "FIRST_NAMES", "LAST_NAMES", "WORKFLOW_NAMES", "Facts", "facts", "load"]

DAY_MS = 86_400_000
SPAN_DAYS = 90

_DOMAINS = ["order", "payment", "refund", "invoice", "shipment", "account", "loan", "claim"]
_VERBS = ["create", "approve", "settle", "notify", "reconcile", "archive", "review"]
WORKFLOW_NAMES = [f"{d}_{v}" for d in _DOMAINS for v in _VERBS][:50]
"""Fifty workflow names; the first ones are drawn more often (a few flows dominate)."""
_NAME_WEIGHTS = [1 / (rank + 1) ** 0.8 for rank in range(len(WORKFLOW_NAMES))]
# What `defHash` holds: the digest of the definition snapshot the execution runs.
_DEF_HASHES = {name: hashlib.sha256(name.encode()).hexdigest()[:32] for name in WORKFLOW_NAMES}

# Share of each final status: most executions complete, a few fail or are still running.
_STATUSES = {
    WorkflowStatus.COMPLETED: 80,
    WorkflowStatus.FAILED: 5,
    WorkflowStatus.RUNNING: 8,
    WorkflowStatus.TERMINATED: 3,
    WorkflowStatus.TIMED_OUT: 2,
    WorkflowStatus.PAUSED: 2,
}
FIRST_NAMES = [
    "Alice", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas",
    "Kofi", "Lena", "Mateo", "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Sven", "Tomas",
]  # fmt: skip
LAST_NAMES = [
    "Okafor", "Lindqvist", "Moreau", "Castellano", "Nakamura", "Petrov", "Haddad", "Novak",
    "Fischer", "Kowalski", "Oliveira", "Brennan", "Dubois", "Jansen", "Rossi", "Svensson",
    "Yilmaz", "Horvat", "Kaplan", "Ferreira", "Larsen", "Mendes", "Nowak", "Quinn", "Ramos",
    "Schmidt", "Tanaka", "Varga", "Weber", "Zhang", "Abbott", "Becker", "Costa", "Dahl", "Eriksen",
    "Fontaine", "Gallo", "Hansen", "Ivanova", "Jovanovic", "Keller", "Lopez", "Marino", "Nielsen",
    "Ortiz", "Pereira", "Rahman", "Santos", "Torres", "Vogel",
]  # fmt: skip
"""Customer surnames, drawn uniformly: each is in about 2% of the executions, and each pair of
a first name and a surname (the customer's e-mail address) in about 0.1%."""
_CITIES = ["Lisbon", "Oslo", "Lyon", "Turin", "Osaka", "Gdansk", "Porto", "Leeds", "Graz"]
_NOTE_WORDS = [
    "gift", "express", "fragile", "priority", "repeat", "customer", "wholesale", "discount",
    "weekend", "return", "exchange", "backorder", "invoice", "loyalty", "bundle", "sample",
]  # fmt: skip
_CARRIERS = ["DHL Express", "UPS Standard", "FedEx Ground", "La Poste", "PostNord"]
_REASONS = [
    "Task charge_card failed: card declined (code 51)",
    "Task reserve_stock failed: SKU out of stock",
    "Workflow timed out after 3600 seconds",
    "Terminated by operator: duplicate order",
    "Task call_bank failed: HTTP 503 from upstream",
]


@dataclass(frozen=True, slots=True)
class Facts:
    """Values the timed searches look for, read back from the loaded table."""

    count: int
    newest: int
    workflow_id: str
    correlation_id: str


def execution(rng: random.Random, now: int) -> Workflow:
    """One execution as the engine would have stored it, created in the last 90 days."""
    name = rng.choices(WORKFLOW_NAMES, _NAME_WEIGHTS)[0]
    status = rng.choices(list(_STATUSES), list(_STATUSES.values()))[0]
    created = now - rng.randrange(SPAN_DAYS * DAY_MS)
    updated = created + rng.randrange(1, 600_000)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    order = f"ord-{rng.randrange(10**8):08d}"
    wf = Workflow(
        workflowId=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        workflowName=name,
        workflowVersion=rng.choice((1, 1, 1, 2, 3)),
        defHash=_DEF_HASHES[name],
        status=status,
        createTime=created,
        updateTime=updated,
        endTime=updated if status.terminal else 0,
        correlationId=order if rng.random() < 0.7 else None,
        input=_input(rng, order, first, last),
        output=_output(rng) if status is WorkflowStatus.COMPLETED else {},
        taskCount=rng.randrange(2, 9),
        createdBy="orders-api",
    )
    if status not in (WorkflowStatus.COMPLETED, WorkflowStatus.RUNNING, WorkflowStatus.PAUSED):
        wf.reasonForIncompletion = rng.choice(_REASONS)
        wf.failedReferenceTaskNames = ["charge"]
    return wf


def _input(rng: random.Random, order: str, first: str, last: str) -> dict[str, Any]:
    return {
        "orderId": order,
        "customer": {
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}@example.com",
            "city": rng.choice(_CITIES),
        },
        "items": [
            {"sku": f"SKU-{rng.randrange(5000):04d}", "qty": rng.randrange(1, 4)}
            for _ in range(rng.randrange(1, 4))
        ],
        "amount": round(rng.uniform(5, 900), 2),
        "currency": rng.choice(("EUR", "USD", "GBP")),
        "note": " ".join(rng.sample(_NOTE_WORDS, rng.randrange(0, 4))),
    }


def _output(rng: random.Random) -> dict[str, Any]:
    return {"receipt": f"rcpt-{rng.getrandbits(48):012x}", "carrier": rng.choice(_CARRIERS)}


def rows(count: int, seed: int, now: int) -> Iterator[tuple[object, ...]]:
    """The `workflow` rows of `count` executions, as the store's INSERT would write them."""
    rng = random.Random(seed)
    for _ in range(count):
        yield workflow_row(execution(rng, now))


def load(url: str, count: int, seed: int, log: Any) -> float:
    """COPY `count` executions into the migrated `workflow` table; seconds it took.

    The table's secondary indexes are dropped during the COPY and rebuilt afterwards from
    their own definitions and statistics targets (a bulk build is many times faster than
    row-by-row upkeep); the rebuilt ones are checked to be the migrated ones.
    """
    began = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        indexes = _secondary_indexes(conn)
        for index in indexes:
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(index.name)))
        _copy(conn, count, seed, log)
        for index in indexes:
            log(f"building index {index.name}")
            _rebuild(conn, index)
        assert _secondary_indexes(conn) == indexes, "the rebuilt indexes differ from the schema"
        log("VACUUM ANALYZE workflow")
        conn.execute("VACUUM (ANALYZE) workflow")
    return time.perf_counter() - began


@dataclass(frozen=True, slots=True)
class _Index:
    name: str
    definition: str
    statistics: tuple[tuple[int, int], ...]
    """(column number, target) of the columns whose statistics target is set."""


def _secondary_indexes(conn: psycopg.Connection[Any]) -> list[_Index]:
    rows = conn.execute(
        "SELECT i.indexname, i.indexdef, coalesce(array_agg(ARRAY[a.attnum, a.attstattarget]"
        " ORDER BY a.attnum) FILTER (WHERE a.attstattarget >= 0), '{}')"
        " FROM pg_indexes i JOIN pg_attribute a ON a.attrelid = i.indexname::regclass"
        " WHERE i.tablename = 'workflow' AND i.indexname <> 'workflow_pkey'"
        " GROUP BY i.indexname, i.indexdef ORDER BY i.indexname"
    ).fetchall()
    return [_Index(r[0], r[1], tuple((int(n), int(t)) for n, t in r[2])) for r in rows]


def _rebuild(conn: psycopg.Connection[Any], index: _Index) -> None:
    conn.execute(sql.SQL(index.definition))  # a definition read from pg_indexes
    for column, target in index.statistics:
        conn.execute(
            sql.SQL("ALTER INDEX {} ALTER COLUMN {} SET STATISTICS {}").format(
                sql.Identifier(index.name), sql.Literal(column), sql.Literal(target)
            )
        )


def _copy(conn: psycopg.Connection[Any], count: int, seed: int, log: Any) -> None:
    columns: LiteralString = ", ".join(WORKFLOW_ROW_COLUMNS)
    now = int(time.time() * 1000)
    with conn.cursor() as cur, cur.copy(f"COPY workflow ({columns}) FROM STDIN") as copy:
        for number, row in enumerate(rows(count, seed, now), 1):
            copy.write_row(row)
            if number % 100_000 == 0:
                log(f"copied {number:,} executions")


def facts(url: str) -> Facts:
    """How many executions the table holds and some values of one of them, to search for."""
    with psycopg.connect(url) as conn:
        totals = conn.execute("SELECT count(*), max(create_time) FROM workflow").fetchone()
        assert totals is not None
        count, newest = totals
        middle = conn.execute(
            "SELECT workflow_id, correlation_id FROM workflow WHERE create_time <= %s"
            " AND correlation_id IS NOT NULL ORDER BY create_time DESC LIMIT 1",
            (newest - SPAN_DAYS * DAY_MS // 2,),
        ).fetchone()
    assert middle is not None, "the table holds no execution with a correlation id"
    return Facts(int(count), int(newest), str(middle[0]), str(middle[1]))
