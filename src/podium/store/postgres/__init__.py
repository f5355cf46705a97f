"""PostgreSQL storage: a connection pool, row locks per workflow, SKIP LOCKED queues."""

from __future__ import annotations

from podium.store.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
