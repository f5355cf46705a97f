"""System tasks run by the server: HTTP (against a local server), WAIT, HUMAN, START_WORKFLOW."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from podium.config import Settings
from podium.server import build_app

from .conftest import register
from .drive import JSON, start, wait_for, workflow


class _Echo(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self._answer(200, {"echo": body, "path": self.path})

    def do_GET(self) -> None:
        self._answer(404 if self.path == "/missing" else 200, {"path": self.path})

    def _answer(self, status: int, payload: JSON) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def local_http() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def open_client(tmp_path: Path) -> Iterator[TestClient]:
    """A server whose HTTP tasks may call 127.0.0.1 (refused by default)."""
    settings = Settings(
        db=f"sqlite:///{tmp_path / 'sys.db'}", sweep_interval=0.05, http_allow=("127.0.0.1",)
    )
    with TestClient(build_app(settings), raise_server_exceptions=False) as c:
        yield c


def one_task(name: str, task: JSON) -> JSON:
    return {"name": name, "version": 1, "tasks": [task]}


def ended(client: TestClient, wf_id: str) -> JSON:
    def check() -> JSON | None:
        wf = workflow(client, wf_id)
        return wf if wf["status"] not in {"RUNNING", "PAUSED"} else None

    return wait_for(check, what=f"workflow {wf_id} to end")


def test_http_task_calls_the_service_and_keeps_its_response(
    open_client: TestClient, local_http: str
) -> None:
    request = {
        "uri": f"{local_http}/orders",
        "method": "POST",
        "body": {"id": "${workflow.input.id}"},
    }
    register(
        open_client,
        one_task(
            "http_wf",
            {
                "name": "call",
                "taskReferenceName": "call",
                "type": "HTTP",
                "inputParameters": {"http_request": request},
            },
        ),
    )
    wf = ended(open_client, start(open_client, "http_wf", input={"id": 42}))
    assert wf["status"] == "COMPLETED"
    response = wf["tasks"][0]["outputData"]["response"]
    assert response["statusCode"] == 200
    assert response["body"] == {"echo": {"id": 42}, "path": "/orders"}


def test_http_task_fails_on_an_error_status(open_client: TestClient, local_http: str) -> None:
    request = {"uri": f"{local_http}/missing", "method": "GET"}
    register(
        open_client,
        one_task(
            "http_404",
            {
                "name": "call",
                "taskReferenceName": "call",
                "type": "HTTP",
                "inputParameters": {"http_request": request},
            },
        ),
    )
    wf = ended(open_client, start(open_client, "http_404"))
    assert wf["status"] == "FAILED"
    assert "404" in wf["tasks"][0]["reasonForIncompletion"]


def test_http_to_loopback_is_refused_by_default(client: TestClient, local_http: str) -> None:
    request = {"uri": f"{local_http}/orders", "method": "GET"}
    register(
        client,
        one_task(
            "http_guarded",
            {
                "name": "call",
                "taskReferenceName": "call",
                "type": "HTTP",
                "inputParameters": {"http_request": request},
            },
        ),
    )
    wf = ended(client, start(client, "http_guarded"))
    assert wf["status"] == "FAILED"
    assert "127.0.0.1" in wf["tasks"][0]["reasonForIncompletion"]


def test_timed_wait_completes_by_itself(client: TestClient) -> None:
    register(
        client,
        one_task(
            "wait_1s",
            {
                "name": "pause",
                "taskReferenceName": "pause",
                "type": "WAIT",
                "inputParameters": {"duration": "1s"},
            },
        ),
    )
    wf_id = start(client, "wait_1s")
    assert workflow(client, wf_id)["tasks"][0]["status"] == "IN_PROGRESS"
    wf = ended(client, wf_id)
    assert wf["status"] == "COMPLETED"
    task = wf["tasks"][0]
    assert task["endTime"] - task["scheduledTime"] >= 1000


def test_open_wait_and_human_complete_through_the_api(client: TestClient) -> None:
    definition = {
        "name": "approve",
        "version": 1,
        "tasks": [
            {"name": "wait", "taskReferenceName": "wait", "type": "WAIT"},
            {"name": "human", "taskReferenceName": "human", "type": "HUMAN"},
        ],
    }
    register(client, definition)
    wf_id = start(client, "approve")
    done = client.post(f"/api/tasks/{wf_id}/wait/COMPLETED", json={"ok": True})
    assert done.status_code == 200
    assert done.text
    client.post(f"/api/tasks/{wf_id}/human/COMPLETED", json={"approvedBy": "ann"})
    wf = ended(client, wf_id)
    assert wf["status"] == "COMPLETED"
    assert wf["output"] == {"approvedBy": "ann"}


def test_start_workflow_starts_a_detached_execution(client: TestClient) -> None:
    register(client, one_task("child_wf", {"name": "w", "taskReferenceName": "w", "type": "WAIT"}))
    starter = {"startWorkflow": {"name": "child_wf", "input": {"from": "parent"}}}
    register(
        client,
        one_task(
            "starter_wf",
            {
                "name": "s",
                "taskReferenceName": "s",
                "type": "START_WORKFLOW",
                "inputParameters": starter,
            },
        ),
    )
    wf = ended(client, start(client, "starter_wf", correlationId="c-1"))
    assert wf["status"] == "COMPLETED"
    child_id = wf["tasks"][0]["outputData"]["workflowId"]
    child = workflow(client, child_id)
    assert child["status"] == "RUNNING"
    assert child["input"] == {"from": "parent"}
    assert child["correlationId"] == "c-1", "inherited when not given"
    assert "parentWorkflowId" not in child


def test_kafka_publish_fails_clearly_without_kafka(client: TestClient) -> None:
    kafka = {"kafka_request": {"topic": "t", "value": "v", "bootStrapServers": "localhost:9092"}}
    register(
        client,
        one_task(
            "kafka_wf",
            {
                "name": "k",
                "taskReferenceName": "k",
                "type": "KAFKA_PUBLISH",
                "inputParameters": kafka,
            },
        ),
    )
    wf = ended(client, start(client, "kafka_wf"))
    assert wf["status"] == "FAILED"
    assert "Kafka is not configured" in wf["tasks"][0]["reasonForIncompletion"]


def test_signal_completes_the_waiting_task(client: TestClient) -> None:
    definition = {
        "name": "signalled",
        "version": 1,
        "tasks": [
            {"name": "wait", "taskReferenceName": "wait", "type": "WAIT"},
        ],
    }
    register(client, definition)
    wf_id = start(client, "signalled")
    response = client.post(f"/api/tasks/{wf_id}/COMPLETED/signal/sync", json={"answer": 42})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "COMPLETED"
    assert body["output"] == {"answer": 42}
    again = client.post(f"/api/tasks/{wf_id}/COMPLETED/signal", json={})
    assert again.status_code == 404


def test_dynamic_task_runs_the_definition_named_in_its_input(client: TestClient) -> None:
    client.post("/api/metadata/taskdefs", json=[{"name": "ship_parcel", "retryCount": 0}])
    definition = one_task(
        "dyn",
        {
            "name": "dyn",
            "taskReferenceName": "pick",
            "type": "DYNAMIC",
            "dynamicTaskNameParam": "which",
            "inputParameters": {"which": "${workflow.input.task}"},
        },
    )
    register(client, definition)
    wf_id = start(client, "dyn", input={"task": "ship_parcel"})
    polled = client.get("/api/tasks/poll/batch/ship_parcel", params={"timeout": 2000}).json()
    assert [t["referenceTaskName"] for t in polled] == ["pick"]
    client.post(
        "/api/tasks",
        json={
            "workflowInstanceId": wf_id,
            "taskId": polled[0]["taskId"],
            "status": "COMPLETED",
            "outputData": {"shipped": True},
        },
    )
    assert ended(client, wf_id)["output"] == {"shipped": True}
    unknown = ended(client, start(client, "dyn", input={"task": "no_such_task"}))
    assert unknown["status"] == "FAILED"
    assert "Cannot find task by name no_such_task" in unknown["reasonForIncompletion"]
