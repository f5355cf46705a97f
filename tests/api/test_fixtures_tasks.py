"""Conductor's WAIT, JSON_JQ_TRANSFORM, SET_VARIABLE, EVENT and task-limit fixtures
(test-harness), registered unchanged and driven over HTTP.

Expected states come from Conductor's `WaitTaskSpec`, `JsonJQTransformSpec`,
`SetVariableTaskSpec`, `EventTaskSpec`, `SystemTaskSpec` and `TaskLimitsWorkflowSpec`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from podium.config import Settings
from podium.server import build_app

from .drive import JSON, complete, poll, poll_none, start, task_def, task_defs, work, workflow
from .test_fixtures import harness, load
from .test_fixtures_loop import complete_in_place, finished, refs, shape

__all__ = ["harness"]


def harness_server(tmp_path: Path, **settings: Any) -> Iterator[TestClient]:
    """Like the `harness` fixture, on a server with its own settings."""
    config = Settings(db=f"sqlite:///{tmp_path / 'fixtures.db'}", sweep_interval=0.05, **settings)
    with TestClient(build_app(config), raise_server_exceptions=False) as client:
        defs = [task_def(f"integration_task_{i}", retryCount=1) for i in range(21)]
        task_defs(client, *defs)
        yield client


@pytest.fixture
def roomy(tmp_path: Path) -> Iterator[TestClient]:
    """Request bodies up to 1 MB: a workflow input above the 256 KB variables limit fits."""
    yield from harness_server(tmp_path, max_payload_bytes=1024 * 1024)


@pytest.fixture
def offline(tmp_path: Path) -> Iterator[TestClient]:
    """HTTP tasks may not call datausa.io: the outcome does not depend on the network."""
    yield from harness_server(tmp_path, http_deny=("datausa.io",))


def test_simple_wait_task_waits_for_an_external_update(harness: TestClient) -> None:
    """simple_wait_task_workflow_integration_test.json: the WAIT (no duration) is IN_PROGRESS
    at once and nothing else is scheduled; completing it by task id schedules t1, whose
    completion completes the workflow."""
    load(harness, "simple_wait_task_workflow_integration_test.json")
    wf_id = start(harness, "test_wait_timeout")
    wf = workflow(harness, wf_id)
    assert wf["status"] == "RUNNING"
    assert shape(wf) == [("WAIT", "IN_PROGRESS")]
    poll_none(harness, "integration_task_1")
    complete_in_place(harness, wf["tasks"][0], {"waited": True})
    wf = workflow(harness, wf_id)
    assert shape(wf) == [("WAIT", "COMPLETED"), ("integration_task_1", "SCHEDULED")]
    assert wf["tasks"][0]["outputData"] == {"waited": True}
    work(harness, "integration_task_1", {"op": "after the wait"})
    wf = workflow(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert shape(wf) == [("WAIT", "COMPLETED"), ("integration_task_1", "COMPLETED")]
    assert wf["output"] == {"op": "after the wait"}


def test_sequential_json_jq_transform_feeds_a_query_from_a_result(harness: TestClient) -> None:
    """sequential_json_jq_transform_integration_test.json: the first JQ fills defaults with
    `//`, the second uses `${default_variables.output.result.requestTransform}` as its query."""
    load(harness, "sequential_json_jq_transform_integration_test.json")
    given = {
        "method": "POST",
        "body": {"name": "Beary Beariston", "title": "the Brown Bear"},
        "requestTransform": '{name: (.body.name + " you are " + .body.title) }',
        "responseTransform": '{result: "reply: " + .response.body.message}',
    }
    wf_id = start(harness, "sequential_json_jq_transform_wf", input=given)
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert shape(wf) == [("JSON_JQ_TRANSFORM", "COMPLETED"), ("JSON_JQ_TRANSFORM", "COMPLETED")]
    defaults = wf["tasks"][0]["outputData"]
    assert defaults["result"] == {
        "requestTransform": given["requestTransform"],
        "responseTransform": given["responseTransform"],
        "method": "POST",
        "document": "rgt_results",
        "successExpression": "true",
    }
    assert defaults["resultList"] == [defaults["result"]]
    transformed = wf["tasks"][1]["outputData"]
    assert transformed["result"] == {"name": "Beary Beariston you are the Brown Bear"}
    assert transformed["resultList"] == [transformed["result"]]
    assert wf["output"] == transformed


def test_json_jq_transform_result_drives_two_decisions(harness: TestClient) -> None:
    """json_jq_transform_result_integration_test.json (requestedAction "redeliver"): an empty
    `data` gives "CREATE", a JQ list holds "redeliver", so decide_2's case is "true" (no case
    for it, no default): the HTTP task never runs and the workflow completes with 4 tasks."""
    load(harness, "json_jq_transform_result_integration_test.json")
    wf_id = start(harness, "json_jq_transform_result_wf", input={"requestedAction": "redeliver"})
    wf = finished(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert shape(wf) == [
        ("JSON_JQ_TRANSFORM", "COMPLETED"),
        ("DECISION", "COMPLETED"),
        ("JSON_JQ_TRANSFORM", "COMPLETED"),
        ("DECISION", "COMPLETED"),
    ]
    assert wf["tasks"][0]["outputData"]["result"] == "CREATE"
    assert wf["tasks"][1]["inputData"]["case"] == "CREATE"
    assert wf["tasks"][2]["outputData"]["result"] == [
        "redeliver",
        "redeliver_from_validation_error",
        "redelivery",
    ]
    assert wf["tasks"][3]["inputData"]["case"] == "true"


def test_json_jq_transform_result_false_case_calls_out_over_http(offline: TestClient) -> None:
    """json_jq_transform_result_integration_test.json (requestedAction "cancel"): decide_2's
    case is "false", whose HTTP task GETs https://datausa.io. That needs the internet, so the
    server denies the host: the HTTP task FAILS with the guard's reason (no retries for a
    system task without a task definition) and so does the workflow."""
    load(offline, "json_jq_transform_result_integration_test.json")
    wf_id = start(offline, "json_jq_transform_result_wf", input={"requestedAction": "cancel"})
    wf = finished(offline, wf_id)
    assert wf["status"] == "FAILED"
    assert shape(wf)[3:] == [("DECISION", "COMPLETED"), ("HTTP", "FAILED")]
    assert wf["tasks"][3]["inputData"]["case"] == "false"
    http = wf["tasks"][4]
    assert http["referenceTaskName"] == "get_population_data"
    assert "datausa.io" in http["reasonForIncompletion"]
    assert "outbound guard" in http["reasonForIncompletion"]
    assert wf["reasonForIncompletion"] == (
        f"Task {http['taskId']} failed with status: FAILED and reason: "
        f"'{http['reasonForIncompletion']}'"
    )


def test_set_variable_over_the_size_limit_fails_and_rolls_back(roomy: TestClient) -> None:
    """set_variable_workflow_integration_test.json: a `var` whose serialized variables exceed
    256 KB makes SET_VARIABLE FAILED_WITH_TERMINAL_ERROR with Conductor's size message; the
    variables are rolled back to `{}`, the WAIT never starts and the workflow FAILS with
    outputParameters `{variables: {}}`."""
    load(roomy, "set_variable_workflow_integration_test.json")
    big = "x" * (256 * 1024 + 1)
    wf_id = start(roomy, "set_variable_workflow_integration_test", input={"var": big})
    assert shape(workflow(roomy, wf_id)) == [("simple", "SCHEDULED")]
    complete(roomy, poll(roomy, "simple"), {"ok1": "ov1"})
    wf = finished(roomy, wf_id)
    assert wf["status"] == "FAILED"
    assert shape(wf) == [("simple", "COMPLETED"), ("SET_VARIABLE", "FAILED_WITH_TERMINAL_ERROR")]
    reason = wf["tasks"][1]["reasonForIncompletion"]
    size = len('{"var":""}') + len(big)
    assert reason.startswith(f"The variables payload size: {size}")
    assert f"of workflow: {wf_id} is greater than the permissible limit: 256" in reason
    assert wf["variables"] == {}
    assert wf["output"] == {"variables": {}}


def test_set_variable_within_the_limit_is_visible_in_the_output(harness: TestClient) -> None:
    """set_variable_workflow_integration_test.json: a small `var` lands in workflow.variables;
    the WAIT is IN_PROGRESS; once it is completed the output is `{variables: {var: …}}`."""
    load(harness, "set_variable_workflow_integration_test.json")
    wf_id = start(
        harness, "set_variable_workflow_integration_test", input={"var": "var_test_value"}
    )
    complete(harness, poll(harness, "simple"), {"ok1": "ov1"})
    wf = workflow(harness, wf_id)
    assert shape(wf) == [
        ("simple", "COMPLETED"),
        ("SET_VARIABLE", "COMPLETED"),
        ("WAIT", "IN_PROGRESS"),
    ]
    assert wf["variables"] == {"var": "var_test_value"}
    complete_in_place(harness, wf["tasks"][2])
    wf = workflow(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert wf["output"] == {"variables": {"var": "var_test_value"}}


def test_async_complete_system_task_needs_conductor_test_task(harness: TestClient) -> None:
    """simple_workflow_with_async_complete_system_task_integration_test.json: its `user_task`
    has type USER_TASK, a system task that exists only in Conductor's test suite
    (`com.netflix.conductor.test.utils.UserTask`)."""
    pytest.skip("USER_TASK is a system task defined only by Conductor's own test harness")


def test_concurrency_limited_task_holds_the_second_attempt(harness: TestClient) -> None:
    """concurrency_limited_task_workflow_integration_test.json (`concurrentExecLimit` 1 on
    test_task_with_concurrency_limit): while the first workflow's task is IN_PROGRESS a poll
    for the second gets nothing and it stays SCHEDULED (Conductor postpones it, 60 s here)."""
    task_defs(harness, task_def("test_task_with_concurrency_limit", concurrentExecLimit=1))
    load(harness, "concurrency_limited_task_workflow_integration_test.json")
    first_id = start(harness, "test_concurrency_limits_workflow")
    assert shape(workflow(harness, first_id)) == [("test_task_with_concurrency_limit", "SCHEDULED")]
    first = poll(harness, "test_task_with_concurrency_limit")
    assert first["workflowInstanceId"] == first_id
    second_id = start(harness, "test_concurrency_limits_workflow")
    assert shape(workflow(harness, second_id)) == [
        ("test_task_with_concurrency_limit", "SCHEDULED")
    ]
    poll_none(harness, "test_task_with_concurrency_limit")
    complete(harness, first)
    assert workflow(harness, first_id)["status"] == "COMPLETED"
    held = workflow(harness, second_id)
    assert held["status"] == "RUNNING"
    assert shape(held) == [("test_task_with_concurrency_limit", "SCHEDULED")]


def test_rate_limited_simple_task_holds_the_next_start(harness: TestClient) -> None:
    """rate_limited_simple_task_workflow_integration_test.json (1 start per 10 s on
    test_simple_task_with_rateLimits): the first workflow's task is polled and completed; the
    second workflow's task is not handed out within the window and stays SCHEDULED."""
    rate = task_def(
        "test_simple_task_with_rateLimits", rateLimitPerFrequency=1, rateLimitFrequencyInSeconds=10
    )
    task_defs(harness, rate)
    load(harness, "rate_limited_simple_task_workflow_integration_test.json")
    first_id = start(harness, "test_rate_limit_simple_task_workflow")
    work(harness, "test_simple_task_with_rateLimits")
    wf = workflow(harness, first_id)
    assert wf["status"] == "COMPLETED"
    assert shape(wf) == [("test_simple_task_with_rateLimits", "COMPLETED")]
    second_id = start(harness, "test_rate_limit_simple_task_workflow")
    poll_none(harness, "test_simple_task_with_rateLimits")
    held = workflow(harness, second_id)
    assert held["status"] == "RUNNING"
    assert shape(held) == [("test_simple_task_with_rateLimits", "SCHEDULED")]


def test_event_task_publishes_to_the_conductor_sink(harness: TestClient) -> None:
    """event_workflow_integration_test.json: the EVENT task's `sink: "conductor"` (set on the
    workflow task) is copied into its input; it completes with the payload it published (input
    plus workflowInstanceId, workflowType, workflowVersion, correlationId) and `event_produced`
    = `conductor:<workflowName>:<taskRef>`; then t1 runs and the workflow completes."""
    load(harness, "event_workflow_integration_test.json")
    wf_id = start(harness, "test_event_workflow", correlationId="evt-1")
    t1 = poll(harness, "integration_task_1", timeout_ms=4000)
    wf = workflow(harness, wf_id)
    assert shape(wf) == [("EVENT", "COMPLETED"), ("integration_task_1", "IN_PROGRESS")]
    assert refs(wf) == ["wait0", "t1"]
    assert wf["tasks"][0]["inputData"]["sink"] == "conductor"
    event: JSON = wf["tasks"][0]["outputData"]
    assert event["event_produced"] == "conductor:test_event_workflow:wait0"
    assert event["sink"] == "conductor"
    assert event["workflowInstanceId"] == wf_id
    assert event["workflowType"] == "test_event_workflow"
    assert event["workflowVersion"] == 1
    assert event["correlationId"] == "evt-1"
    complete(harness, t1)
    wf = workflow(harness, wf_id)
    assert wf["status"] == "COMPLETED"
    assert shape(wf) == [("EVENT", "COMPLETED"), ("integration_task_1", "COMPLETED")]
