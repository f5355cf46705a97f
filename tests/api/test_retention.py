"""Retention seen through the API: after the configured age an ended execution is gone (404) or
archived (still readable), while a sub-workflow waits for its running parent.

The server's clock is moved forward instead of waiting for days; the loop itself runs for real.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from podium.config import Settings
from podium.server import build_app
from podium.services.context import epoch_ms

from .conftest import register
from .drive import JSON, complete, poll, start, task_def, task_defs, wait_for, work, workflow

DAY_MS = 86_400_000


class Clock:
    """The server's clock: real time plus what the test skipped."""

    def __init__(self) -> None:
        self.skipped = 0

    def __call__(self) -> int:
        return epoch_ms() + self.skipped

    def skip_days(self, days: int) -> None:
        self.skipped += days * DAY_MS


@contextmanager
def retaining(database: str, mode: str) -> Iterator[tuple[TestClient, Clock]]:
    """A server keeping ended executions 30 days, with a clock the test moves."""
    settings = Settings(
        db=database,
        sweep_interval=0.05,
        retention_days=30,
        retention_mode=mode,
        retention_interval=0.05,
    )
    app = build_app(settings)
    clock = Clock()
    app.state.services.ctx.clock = clock
    with TestClient(app, raise_server_exceptions=False) as client:
        task_defs(client, *(task_def(name) for name in ("step", "child_step", "parent_step")))
        register(client, {"name": "one", "version": 1, "tasks": [_simple("step", "s")]})
        yield client, clock


def _simple(name: str, ref: str) -> JSON:
    return {"name": name, "taskReferenceName": ref}


def finished(client: TestClient) -> str:
    workflow_id = start(client, "one")
    work(client, "step", {"done": True})
    assert workflow(client, workflow_id)["status"] == "COMPLETED"
    return workflow_id


def gone(client: TestClient, workflow_id: str) -> bool:
    status: int = client.get(f"/api/workflow/{workflow_id}").status_code
    return status == 404


def test_delete_mode_answers_404_once_the_age_has_passed(database: str) -> None:
    with retaining(database, "delete") as (client, clock):
        workflow_id = finished(client)
        task_id = workflow(client, workflow_id)["tasks"][0]["taskId"]
        clock.skip_days(29)
        recent = finished(client)
        clock.skip_days(2)
        wait_for(lambda: gone(client, workflow_id), what="the purge")
        assert client.get(f"/api/workflow/{workflow_id}/history").status_code == 404
        assert client.get(f"/api/tasks/{task_id}").status_code == 404
        assert workflow(client, recent)["status"] == "COMPLETED", "ended 2 days ago: kept"


def test_archive_mode_keeps_the_execution_readable(database: str) -> None:
    with retaining(database, "archive") as (client, clock):
        workflow_id = finished(client)
        before = workflow(client, workflow_id)
        clock.skip_days(31)

        def removed() -> list[JSON] | None:
            history: list[JSON] = client.get(f"/api/workflow/{workflow_id}/history").json()
            return history if history[-1]["event"] == "workflow_removed" else None

        history = wait_for(removed, what="the archiving")
        assert history[-1]["actor"] == "retention"
        assert workflow(client, workflow_id) == before
        task_id = before["tasks"][0]["taskId"]
        assert client.get(f"/api/tasks/{task_id}").status_code == 404, "task rows dropped"
        status = client.get(f"/api/workflow/{workflow_id}/status")
        assert status.status_code == 404, "only the final JSON is kept"


def test_a_sub_workflow_is_kept_while_its_parent_runs(database: str) -> None:
    with retaining(database, "delete") as (client, clock):
        register(client, {"name": "child", "version": 1, "tasks": [_simple("child_step", "c")]})
        sub = {
            "name": "sub",
            "taskReferenceName": "sub",
            "type": "SUB_WORKFLOW",
            "subWorkflowParam": {"name": "child", "version": 1},
        }
        register(
            client, {"name": "parent", "version": 1, "tasks": [sub, _simple("parent_step", "p")]}
        )
        parent_id = start(client, "parent")
        polled = poll(client, "child_step", timeout_ms=4000)
        child_id = polled["workflowInstanceId"]
        complete(client, polled)
        wait_for(lambda: workflow(client, child_id)["status"] == "COMPLETED", what="the child")
        marker = finished(client)
        clock.skip_days(31)
        wait_for(lambda: gone(client, marker), what="a retention round")
        assert workflow(client, child_id)["status"] == "COMPLETED", "its parent still runs"

        work(client, "parent_step")
        assert workflow(client, parent_id)["status"] == "COMPLETED"
        clock.skip_days(31)
        wait_for(lambda: gone(client, parent_id) and gone(client, child_id), what="both purged")


@pytest.mark.parametrize("mode", ["delete", "archive"])
def test_the_config_endpoint_shows_the_retention_settings(database: str, mode: str) -> None:
    with retaining(database, mode) as (client, _):
        config = client.get("/api/admin/config").json()
        assert (config["retention_days"], config["retention_mode"]) == (30, mode)
