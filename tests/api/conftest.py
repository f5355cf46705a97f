"""An in-process app (real SQLite file, real services) driven through Starlette's TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from podium.config import Settings
from podium.server import build_app


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        db=f"sqlite:///{tmp_path / 'api.db'}", sweep_interval=0.05, max_payload_bytes=64 * 1024
    )
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
