"""What every mixin of the PostgreSQL transaction shares: its connection and query helpers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, LiteralString

import orjson
from psycopg import AsyncConnection, AsyncPipeline
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
    """One open transaction on one pooled connection; SQL travels with `%s` parameters only.

    The connection is in pipeline mode: a write is sent without waiting for its answer, and
    the client waits only when it reads (a fetch) or commits, so a unit of work costs about
    one round trip per read instead of one per statement. An error in a write surfaces at the
    next read or at commit, and rolls back the whole unit.
    """

    conn: Connection
    pipeline: AsyncPipeline

    async def _one(self, sql: LiteralString, params: Params = ()) -> TupleRow | None:
        cur = await self.conn.execute(sql, params)
        return await cur.fetchone()

    async def _all(self, sql: LiteralString, params: Params = ()) -> list[TupleRow]:
        cur = await self.conn.execute(sql, params)
        return await cur.fetchall()

    async def _run(self, sql: LiteralString, params: Params = ()) -> None:
        """Send a write (its answer is read later, with the next read or the commit)."""
        await self.conn.execute(sql, params)

    async def _count(self, sql: LiteralString, params: Params = ()) -> int:
        """Execute a write and wait for it; return how many rows it touched."""
        cur = await self.conn.execute(sql, params)
        await self.pipeline.sync()
        return cur.rowcount

    async def _many(self, sql: LiteralString, params: Iterable[Params]) -> None:
        rows = list(params)
        if len(rows) == 1:
            await self._run(sql, rows[0])  # cheaper than executemany's machinery
        elif rows:
            async with self.conn.cursor() as cur:
                await cur.executemany(sql, rows)
