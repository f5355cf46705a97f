"""The SQLite `Store`: one connection used from the event loop, one transaction at a time.

SQLite allows one writer, which is exactly the per-workflow serialisation the decider needs on a
single node. Transactions are short (a few hundred microseconds), so they run inline on the event
loop rather than hopping to a thread; an asyncio lock keeps them from interleaving.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from podium.errors import Conflict, StoreUnavailable
from podium.store import Tx
from podium.store.migrate import migrations
from podium.store.sqlite.checkpoint import Checkpointer
from podium.store.sqlite.tx import SqliteTx

__all__ = ["SqliteStore", "sqlite_path"]

# How soon to retry a commit that found a unit still inside the shared transaction.
_RETRY_COMMIT_S = 0.001


def sqlite_path(url: str) -> str:
    """The file path of a `sqlite:///path` URL (`sqlite://:memory:` for a private memory db)."""
    if url in ("sqlite://", "sqlite://:memory:", "sqlite:///:memory:"):
        return ":memory:"
    if not url.startswith("sqlite:///"):
        raise ValueError(f"not a sqlite URL: {url!r} (expected sqlite:///path/to/file.db)")
    return url.removeprefix("sqlite:///")


class SqliteStore:
    """A SQLite database file behind the `Store` port."""

    name = "sqlite"

    def __init__(self, url: str, *, synchronous: str = "NORMAL", migrate: bool = True) -> None:
        self.path = sqlite_path(url)
        self.synchronous = synchronous
        self.auto_migrate = migrate
        self._conn: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()
        self._batch: asyncio.Future[None] | None = None
        self._commit_scheduled = False
        self._checkpointer: Checkpointer | None = None

    async def open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA cache_size=-65536")
        self._conn = conn
        if self.auto_migrate:
            self.apply_migrations()
        if self.path != ":memory:":
            conn.execute("PRAGMA wal_autocheckpoint=0")
            self._checkpointer = Checkpointer(self.path)
            self._checkpointer.start()

    async def pending_migrations(self) -> list[int]:
        """Versions this database lacks (read-only: no DDL, for `podium db verify`)."""
        conn = self._connection()
        table = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'"
        ).fetchone()
        done = (
            {r[0] for r in conn.execute("SELECT version FROM schema_version")} if table else set()
        )
        return [m.version for m in migrations("sqlite") if m.version not in done]

    async def migrate(self) -> list[int]:
        """Apply the migrations this database lacks; return the versions applied."""
        return self.apply_migrations()

    def apply_migrations(self) -> list[int]:
        """The synchronous body of `migrate` (SQLite calls need no awaiting)."""
        conn = self._connection()
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {row[0] for row in conn.execute("SELECT version FROM schema_version")}
        applied = []
        for migration in migrations("sqlite"):
            if migration.version in done:
                continue
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _statements(migration.sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_version VALUES (?, ?, datetime('now'))",
                    (migration.version, migration.name),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            applied.append(migration.version)
        return applied

    async def close(self) -> None:
        if self._batch is not None and not self._lock.locked():
            self._commit()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One unit of work, committed together with the units that run right after it.

        Each unit runs inside a SAVEPOINT of a shared SQLite transaction, so it commits or
        rolls back alone. The shared transaction commits at the end of the current event-loop
        turn, and every unit returns only after that COMMIT: under load one commit (the
        expensive part of a small transaction) serves every request that was ready.
        """
        async with self._lock:
            batch = self._open_batch()
            conn = self._connection()
            conn.execute("SAVEPOINT unit")
            try:
                yield SqliteTx(conn)
            except sqlite3.IntegrityError as exc:
                self._undo_unit(conn)
                raise Conflict(f"the change conflicts with stored data: {exc}") from exc
            except sqlite3.OperationalError as exc:
                self._undo_unit(conn)
                raise StoreUnavailable(f"the database failed: {exc}") from exc
            except BaseException:
                self._undo_unit(conn)
                raise
            conn.execute("RELEASE unit")
            self._schedule_commit()
        await asyncio.shield(batch)

    def _undo_unit(self, conn: sqlite3.Connection) -> None:
        """Roll this unit back; the rest of the batch stays (unless SQLite dropped it all)."""
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK TO unit")
                conn.execute("RELEASE unit")
            except sqlite3.OperationalError:  # SQLite already rolled the transaction back
                pass
        self._schedule_commit()

    def _open_batch(self) -> asyncio.Future[None]:
        if self._batch is None:
            try:
                self._connection().execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StoreUnavailable(f"the database is busy: {exc}") from exc
            self._batch = asyncio.get_running_loop().create_future()
        return self._batch

    def _schedule_commit(self) -> None:
        if not self._commit_scheduled:
            self._commit_scheduled = True
            asyncio.get_running_loop().call_soon(self._commit)

    def _commit(self) -> None:
        """COMMIT the shared transaction (a loop callback: no unit is inside it now)."""
        self._commit_scheduled = False
        if self._lock.locked():  # a unit is mid-way (it awaited inside): try again shortly
            self._commit_scheduled = True
            asyncio.get_running_loop().call_later(_RETRY_COMMIT_S, self._commit)
            return
        batch, self._batch = self._batch, None
        if batch is None:
            return
        conn = self._connection()
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            batch.set_exception(StoreUnavailable(f"the commit failed: {exc}"))
        else:
            batch.set_result(None)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreUnavailable("the SQLite store is not open")
        return self._conn


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (triggers keep their inner semicolons)."""
    statements: list[str] = []
    current: list[str] = []
    for line in sql.splitlines():
        if line.strip().startswith("--") and not current:
            continue
        current.append(line)
        text = "\n".join(current).strip()
        if text.endswith(";") and sqlite3.complete_statement(text):
            statements.append(text)
            current = []
    tail = "\n".join(current).strip()
    if tail:
        statements.append(tail)
    return statements
