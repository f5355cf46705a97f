"""Starting: idempotency keys, the blocking execute endpoint and failure workflows."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from .conftest import register, two_step
from .drive import (
    JSON,
    assert_error,
    complete,
    fail,
    poll,
    search_total,
    start,
    task_def,
    task_defs,
    work,
    workflow,
)


def keyed(client: TestClient, strategy: str | None, key: str = "order-7") -> httpx.Response:
    body: JSON = {"name": "two_step", "input": {"x": 1}, "idempotencyKey": key}
    if strategy is not None:
        body["idempotencyStrategy"] = strategy
    response: httpx.Response = client.post("/api/workflow", json=body)
    return response


def finish(client: TestClient) -> None:
    work(client, "step_a", {"value": "A"})
    work(client, "step_b")


def test_idempotency_fail_refuses_a_second_start(client: TestClient) -> None:
    register(client, two_step())
    first = keyed(client, "FAIL")
    assert first.status_code == 200
    assert_error(keyed(client, "FAIL"), 409)
    assert_error(keyed(client, None), 409)  # FAIL is the default strategy
    assert search_total(client) == 1
    assert keyed(client, "FAIL", key="another").status_code == 200


def test_idempotency_return_existing_answers_the_same_id(client: TestClient) -> None:
    register(client, two_step())
    first = keyed(client, "RETURN_EXISTING")
    again = keyed(client, "RETURN_EXISTING")
    assert again.status_code == 200
    assert again.text == first.text
    assert search_total(client) == 1
    finish(client)
    assert keyed(client, "RETURN_EXISTING").text == first.text, "even once it has completed"


def test_idempotency_fail_on_running_refuses_only_while_running(client: TestClient) -> None:
    register(client, two_step())
    first = keyed(client, "FAIL_ON_RUNNING")
    assert_error(keyed(client, "FAIL_ON_RUNNING"), 409)
    assert search_total(client) == 1
    finish(client)
    assert workflow(client, first.text)["status"] == "COMPLETED"
    second = keyed(client, "FAIL_ON_RUNNING")
    assert second.status_code == 200
    assert second.text != first.text
    assert workflow(client, second.text)["idempotencyKey"] == "order-7"


class Execute(threading.Thread):
    """Runs one blocking execute request while the test thread acts as the worker."""

    def __init__(self, client: TestClient, body: JSON, **params: Any) -> None:
        super().__init__(daemon=True)
        self.client, self.body, self.params = client, body, params
        self.response: httpx.Response | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.response = self.client.post(
                "/api/workflow/execute/two_step/1", params=self.params, json=self.body
            )
        except BaseException as exc:  # reported by the test thread
            self.error = exc

    def result(self) -> httpx.Response:
        self.join(timeout=15)
        assert not self.is_alive(), "execute did not answer"
        assert self.error is None, self.error
        assert self.response is not None
        return self.response


def test_execute_returns_the_completed_workflow(client: TestClient) -> None:
    register(client, two_step())
    execute = Execute(client, {"name": "two_step", "input": {"x": 5}}, waitForSeconds=10)
    execute.start()
    try:
        a = poll(client, "step_a", timeout_ms=5000)
        assert a["inputData"] == {"x": 5}
        complete(client, a, {"value": "A"})
        work(client, "step_b", {"done": True})
    finally:
        response = execute.result()
    assert response.status_code == 200, response.text
    wf = response.json()
    assert wf["status"] == "COMPLETED"
    assert wf["workflowId"] == a["workflowInstanceId"]
    assert wf["output"] == {"done": True}
    assert wf["signalTimeout"] is False
    assert wf["targetWorkflowId"] == wf["workflowId"]
    assert wf["targetWorkflowStatus"] == "COMPLETED"
    assert [t["status"] for t in wf["tasks"]] == ["COMPLETED", "COMPLETED"]


def test_execute_without_worker_times_out_with_signal_timeout(client: TestClient) -> None:
    register(client, two_step())
    response = client.post(
        "/api/workflow/execute/two_step/1",
        params={"waitForSeconds": 1, "requestId": "req-1"},
        json={"name": "two_step", "input": {"x": 1}},
    )
    assert response.status_code == 200, response.text
    wf = response.json()
    assert wf["signalTimeout"] is True
    assert wf["status"] == "RUNNING"
    assert wf["requestId"] == "req-1"
    assert workflow(client, wf["workflowId"])["status"] == "RUNNING"


@pytest.mark.parametrize("body", [{"input": {"x": 1}}, {}])
def test_execute_takes_the_name_from_the_path(client: TestClient, body: JSON) -> None:
    """The path names the workflow; the body need not repeat it."""
    register(client, two_step())
    response = client.post(
        "/api/workflow/execute/two_step/1", params={"waitForSeconds": 0}, json=body
    )
    assert response.status_code == 200, response.text
    wf = response.json()
    assert wf["workflowName"] == "two_step"
    assert wf["signalTimeout"] is True


def with_failure_workflow(client: TestClient) -> None:
    task_defs(client, task_def("step_a"), task_def("step_b"), task_def("on_failure_task"))
    register(client, two_step(failureWorkflow="cleanup"))
    register(
        client,
        {
            "name": "cleanup",
            "version": 1,
            "tasks": [{"name": "on_failure_task", "taskReferenceName": "cleanup_task"}],
        },
    )


def test_failure_workflow_starts_with_the_failed_workflows_facts(client: TestClient) -> None:
    with_failure_workflow(client)
    wf_id = start(client, "two_step", input={"x": 3}, correlationId="c-9")
    a = poll(client, "step_a")
    fail(client, a, "disk full")
    failed = workflow(client, wf_id)
    assert failed["status"] == "FAILED"
    failure_id = failed["output"]["conductor.failure_workflow"]
    cleanup = workflow(client, failure_id)
    assert cleanup["workflowName"] == "cleanup"
    assert cleanup["status"] == "RUNNING"
    assert cleanup["correlationId"] == "c-9"
    assert cleanup["input"]["workflowId"] == wf_id
    assert cleanup["input"]["failureStatus"] == "FAILED"
    assert cleanup["input"]["reason"] == failed["reasonForIncompletion"]
    assert "disk full" in cleanup["input"]["reason"]
    assert cleanup["input"]["failureTaskId"] == a["taskId"]
    assert cleanup["input"]["x"] == 3
    assert cleanup["input"]["failedWorkflow"]["workflowId"] == wf_id
    assert poll(client, "on_failure_task")["workflowInstanceId"] == failure_id


def test_terminate_api_does_not_start_the_failure_workflow(client: TestClient) -> None:
    with_failure_workflow(client)
    wf_id = start(client, "two_step")
    assert client.delete(f"/api/workflow/{wf_id}", params={"reason": "manual"}).status_code == 200
    wf = workflow(client, wf_id)
    assert wf["status"] == "TERMINATED"
    assert "conductor.failure_workflow" not in wf["output"]
    assert search_total(client, query="workflowType = 'cleanup'") == 0
