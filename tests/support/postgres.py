"""Fresh PostgreSQL databases for tests (the machine's server at 127.0.0.1:5432)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import sql

__all__ = ["POSTGRES_URL", "postgres_database", "terminate_connections"]

POSTGRES_URL = os.environ.get("PODIUM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database `podium_test_<random>`, dropped afterwards.

    Unreachable PostgreSQL fails the test in CI (`CI=true`) and skips it elsewhere.
    """
    name = f"podium_test_{secrets.token_hex(6)}"
    try:
        admin = psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL is unreachable at {POSTGRES_URL}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield f"{POSTGRES_URL}/{name}"
        finally:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def terminate_connections(url: str) -> int:
    """End every server backend connected to the database of `url`, as a restart would, and
    wait until they have gone. Returns how many were ended; other databases are untouched."""
    server, database = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchall()
    return sum(1 for (ended,) in rows if ended)
