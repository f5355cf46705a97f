"""The `store` fixture: every contract test runs once per `Store` implementation."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.store import Store
from podium.store.memory import MemoryStore
from podium.store.postgres import PostgresStore
from podium.store.sqlite import SqliteStore
from tests.support.postgres import postgres_database

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
        with postgres_database() as url:
            yield PostgresStore(url, max_size=4)


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
