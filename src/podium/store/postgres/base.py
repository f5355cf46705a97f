"""What every mixin of the PostgreSQL transaction shares: its connection and query helpers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, LiteralString

import orjson
from psycopg import AsyncConnection
from psycopg.rows import TupleRow

from podium.store import JSON

__all__ = ["Connection", "PgBase", "load_json"]

Connection = AsyncConnection[TupleRow]
Params = Sequence[Any]


def load_json(body: bytes) -> JSON:
    """A stored definition or handler body."""
    parsed: JSON = orjson.loads(body)
    return parsed


class PgBase:
    """One open transaction on one pooled connection; SQL travels with `%s` parameters only."""

    conn: Connection

    async def _one(self, sql: LiteralString, params: Params = ()) -> TupleRow | None:
        cur = await self.conn.execute(sql, params)
        return await cur.fetchone()

    async def _all(self, sql: LiteralString, params: Params = ()) -> list[TupleRow]:
        cur = await self.conn.execute(sql, params)
        return await cur.fetchall()

    async def _run(self, sql: LiteralString, params: Params = ()) -> int:
        """Execute a write; return how many rows it touched."""
        cur = await self.conn.execute(sql, params)
        return cur.rowcount

    async def _many(self, sql: LiteralString, params: Iterable[Params]) -> None:
        rows = list(params)
        if rows:
            async with self.conn.cursor() as cur:
                await cur.executemany(sql, rows)
