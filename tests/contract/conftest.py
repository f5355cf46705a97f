"""The `store` fixture: every contract test runs once per `Store` implementation."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from podium.store import Store
from podium.store.memory import MemoryStore
from podium.store.postgres import PostgresStore
from podium.store.sqlite import SqliteStore

from .support import Run, Scenario

STORES = ["memory", "sqlite", "postgres"]

# The server database in which each PostgreSQL test creates (and drops) its own database.
POSTGRES_URL = os.environ.get("PODIUM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A new, unopened store of each kind."""
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "sqlite":
        yield SqliteStore(f"sqlite:///{tmp_path}/t.db")
    else:
        with _postgres_database() as url:
            yield PostgresStore(url, max_size=4)


@contextmanager
def _postgres_database() -> Iterator[str]:
    """A fresh database `podium_test_<random>`, dropped afterwards."""
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


@pytest.fixture
def run(store: Store) -> Run:
    """Run a scenario in one event loop with the store open, closing it afterwards."""

    def runner(scenario: Scenario) -> None:
        async def main() -> None:
            await store.open()
            try:
                await scenario(store)
            finally:
                await store.close()

        asyncio.run(main())

    return runner
