"""The PostgreSQL `Store`: a psycopg 3 connection pool, one connection per transaction.

Every node of a cluster shares the database. `get_workflow` locks the execution's row
(`SELECT ... FOR UPDATE`), so decisions on one workflow serialise across nodes, and `pop` claims
queue rows with `FOR UPDATE SKIP LOCKED`, so pollers on different nodes never wait on each other
nor receive the same task.
"""

from __future__ import annotations

import logging
import secrets
import select
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from podium.errors import Conflict, StoreUnavailable
from podium.store import Tx
from podium.store.migrate import migrations
from podium.store.postgres.base import Connection
from podium.store.postgres.notify import PostgresListener
from podium.store.postgres.tx import PostgresTx

__all__ = ["PostgresStore"]

log = logging.getLogger("podium.store.postgres")

# Any constant shared by every node: whoever holds this advisory lock applies the migrations.
_MIGRATION_LOCK = 0x706F6469756D  # "podium"
# How long `open()` waits for the first connection before declaring the database unreachable.
_OPEN_TIMEOUT_S = 10.0
# How long the pool retries one lost connection before giving it up (psycopg_pool's default is
# 5 min). Its waits between attempts double without a bound, so after a long outage the node
# would stay away for up to half the outage once the database is back (19 s after a 40 s
# outage, measured); given up sooner, a connection is opened afresh as soon as a unit needs one.
_RECONNECT_TIMEOUT_S = 10.0


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
        # Tells this process's announcements from other nodes' (see notify.py).
        self.origin = secrets.token_hex(8)

    async def open(self) -> None:
        pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
            self.url,
            min_size=self.min_size,
            max_size=self.max_size,
            # Autocommit: `conn.transaction()` alone opens and ends each unit of work.
            kwargs={"autocommit": True},
            reconnect_timeout=_RECONNECT_TIMEOUT_S,
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

    def listener(self) -> PostgresListener:
        """Hears what the other nodes' units of work announce."""
        return PostgresListener(self.url, self.origin)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One unit of work: one pooled connection in pipeline mode, one transaction, rolled
        back on error."""
        try:
            async with (
                self._live_connection() as conn,
                conn.pipeline() as pipeline,
                conn.transaction(),
            ):
                tx = PostgresTx(conn, pipeline, self.origin)
                yield tx
                await tx.finish()
        except psycopg.IntegrityError as exc:
            raise Conflict(f"the change conflicts with stored data: {exc}") from exc
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise StoreUnavailable(f"the database failed: {exc}") from exc

    @asynccontextmanager
    async def _live_connection(self) -> AsyncIterator[Connection]:
        """A pooled connection that the server has not closed.

        After a database restart every idle connection of the pool is dead, and in pipeline
        mode nothing would tell before the unit's first read, when part of the unit has run
        here already: too late to start it again elsewhere. So each checkout first looks, at
        the cost of one system call, whether the server has hung up; such a connection goes
        back to the pool, which drops it, and the unit takes another.
        """
        pool = self._connection()
        for attempt in range(self.max_size + 1):
            async with pool.connection() as conn:
                if attempt == self.max_size or not _closed_by_server(conn):
                    yield conn
                    return
            log.info("dropped a dead connection", extra={"action": "db_connection_dropped"})

    def _connection(self) -> AsyncConnectionPool[Connection]:
        if self._pool is None:
            raise StoreUnavailable("the PostgreSQL store is not open")
        return self._pool


def _closed_by_server(conn: Connection) -> bool:
    """Whether the server has closed this idle connection, seen without a round trip.

    An idle connection has nothing to read unless the server has said farewell: a closing
    message (a restart, `pg_terminate_backend`), then end of file. Reading what is there
    marks the connection broken once the end of file arrives.
    """
    pgconn = conn.pgconn
    try:
        for _ in range(3):  # a farewell takes two reads; never spin on a chatty socket
            if conn.closed or not _readable(pgconn.socket):
                break
            pgconn.consume_input()
    except psycopg.OperationalError:
        return True
    return conn.closed


def _readable(fd: int) -> bool:
    if not hasattr(select, "poll"):  # Windows; select() is limited to small descriptors
        return bool(select.select([fd], [], [], 0)[0])
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))
