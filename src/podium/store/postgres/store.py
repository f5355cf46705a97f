"""The PostgreSQL `Store`: a psycopg 3 connection pool, one connection per transaction.

Every node of a cluster shares the database. `get_workflow` locks the execution's row
(`SELECT ... FOR UPDATE`), so decisions on one workflow serialise across nodes, and `pop` claims
queue rows with `FOR UPDATE SKIP LOCKED`, so pollers on different nodes never wait on each other
nor receive the same task.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from podium.errors import Conflict, StoreUnavailable
from podium.store import Tx
from podium.store.migrate import migrations
from podium.store.postgres.base import Connection
from podium.store.postgres.tx import PostgresTx

__all__ = ["PostgresStore"]

log = logging.getLogger("podium.store.postgres")

# Any constant shared by every node: whoever holds this advisory lock applies the migrations.
_MIGRATION_LOCK = 0x706F6469756D  # "podium"
# How long `open()` waits for the first connection before declaring the database unreachable.
_OPEN_TIMEOUT_S = 10.0


class PostgresStore:
    """A PostgreSQL database behind the `Store` port (`postgresql://user@host:port/db`)."""

    name = "postgres"

    def __init__(
        self, url: str, *, min_size: int = 1, max_size: int = 10, migrate: bool = True
    ) -> None:
        self.url = url
        self.min_size = min_size
        self.max_size = max_size
        self.auto_migrate = migrate
        self._pool: AsyncConnectionPool[Connection] | None = None

    async def open(self) -> None:
        pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
            self.url,
            min_size=self.min_size,
            max_size=self.max_size,
            # Autocommit: `conn.transaction()` alone opens and ends each unit of work.
            kwargs={"autocommit": True},
            open=False,
        )
        try:
            await pool.open(wait=True, timeout=_OPEN_TIMEOUT_S)
        except (PoolTimeout, psycopg.OperationalError) as exc:
            await pool.close()
            raise StoreUnavailable(f"cannot connect to PostgreSQL: {exc}") from exc
        self._pool = pool
        if self.auto_migrate:
            await self.migrate()

    async def migrate(self) -> list[int]:
        """Apply the migrations this database lacks; return the versions applied."""
        applied: list[int] = []
        async with self._connection().connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                " name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            cur = await conn.execute("SELECT version FROM schema_version")
            done = {row[0] for row in await cur.fetchall()}
            for migration in migrations("postgres"):
                if migration.version in done:
                    continue
                # A reviewed file of the package, run as one multi-statement script.
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_version (version, name) VALUES (%s, %s)",
                    (migration.version, migration.name),
                )
                applied.append(migration.version)
        return applied

    async def pending_migrations(self) -> list[int]:
        """Versions this database lacks (read-only: no DDL, for `podium db verify`)."""
        async with self._connection().connection() as conn:
            cur = await conn.execute("SELECT to_regclass('schema_version') IS NOT NULL")
            row = await cur.fetchone()
            done: set[int] = set()
            if row is not None and row[0]:
                cur = await conn.execute("SELECT version FROM schema_version")
                done = {r[0] for r in await cur.fetchall()}
        return [m.version for m in migrations("postgres") if m.version not in done]

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One unit of work: one pooled connection, one transaction, rolled back on error.

        A connection that breaks inside the unit (the server restarted, the network failed)
        fails the unit with `StoreUnavailable`, and the pool replaces the connection.
        """
        try:
            async with self._begin() as conn:
                yield PostgresTx(conn)
        except psycopg.IntegrityError as exc:
            raise Conflict(f"the change conflicts with stored data: {exc}") from exc
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise StoreUnavailable(f"the database failed: {exc}") from exc

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[Connection]:
        """A pooled connection inside an open transaction.

        After a database restart every idle connection of the pool is dead, and only using one
        tells. When BEGIN, the unit's first statement, finds its connection closed, nothing of
        the unit has run: the pool drops that connection and the unit begins on another, instead
        of failing one request per dead connection. It costs nothing while connections are
        healthy, unlike a check query on every checkout.
        """
        pool = self._connection()
        for retries_left in range(self.max_size, -1, -1):
            async with AsyncExitStack() as stack:
                conn = await stack.enter_async_context(pool.connection())
                try:
                    await stack.enter_async_context(conn.transaction())
                except psycopg.OperationalError:
                    if not conn.closed or not retries_left:
                        raise
                    log.info("dropped a dead connection", extra={"action": "db_connection_dropped"})
                    continue  # leaving the stack hands the closed connection back: discarded
                yield conn
                return

    def _connection(self) -> AsyncConnectionPool[Connection]:
        if self._pool is None:
            raise StoreUnavailable("the PostgreSQL store is not open")
        return self._pool
