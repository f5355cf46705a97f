"""The `store` fixture: every contract test runs once per `Store` implementation."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from podium.store import Store
from podium.store.memory import MemoryStore
from podium.store.sqlite import SqliteStore

from .support import Run, Scenario

STORES = ["memory", "sqlite"]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """A new, unopened store of each kind."""
    if request.param == "memory":
        return MemoryStore()
    return SqliteStore(f"sqlite:///{tmp_path}/t.db")


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
