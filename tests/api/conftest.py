"""An in-process app (real SQLite file, real services) driven through Starlette's TestClient."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from podium.config import Settings
from podium.server import build_app
from tests.support.postgres import postgres_database


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A SQLite file and a fresh PostgreSQL database: every API test runs on both.

    PODIUM_TEST_DB=sqlite or =postgres keeps only one of them (quicker local runs).
    """
    only = os.environ.get("PODIUM_TEST_DB")
    if only and only != request.param:
        pytest.skip(f"PODIUM_TEST_DB={only}")
    with ExitStack() as stack:
        if request.param == "postgres":
            yield stack.enter_context(postgres_database())
        else:
            yield f"sqlite:///{tmp_path / 'api.db'}"


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    """The app on each database."""
    settings = Settings(db=database, sweep_interval=0.05, max_payload_bytes=64 * 1024)
    with TestClient(build_app(settings), raise_server_exceptions=False) as c:
        yield c


def register(client: TestClient, definition: dict[str, Any]) -> None:
    response = client.post("/api/metadata/workflow", json=definition, params={"overwrite": "true"})
    assert response.status_code == 200, response.text


def two_step(name: str = "two_step", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "version": 1,
        "tasks": [
            {
                "name": "step_a",
                "taskReferenceName": "a",
                "inputParameters": {"x": "${workflow.input.x}"},
            },
            {
                "name": "step_b",
                "taskReferenceName": "b",
                "inputParameters": {"fromA": "${a.output.value}"},
            },
        ],
        **extra,
    }
