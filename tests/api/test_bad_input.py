"""Bad requests: each gets Conductor's error JSON and leaves everything stored as it was."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient

from .conftest import register, two_step
from .drive import (
    JSON,
    assert_error,
    complete,
    definitions,
    poll,
    report,
    search_total,
    start,
    task,
    validation_messages,
    workflow,
)

JSON_HEADERS = {"content-type": "application/json"}
MALFORMED = b'{"name": "broken",'


def running(client: TestClient) -> tuple[str, JSON]:
    """A registered two_step execution whose task `a` a worker holds (IN_PROGRESS)."""
    register(client, two_step())
    wf_id = start(client, "two_step", input={"x": 1})
    return wf_id, poll(client, "step_a")


def test_malformed_json_on_register_is_400_and_stores_nothing(client: TestClient) -> None:
    register(client, two_step())
    before = definitions(client)
    response = client.post("/api/metadata/workflow", content=MALFORMED, headers=JSON_HEADERS)
    body = assert_error(response, 400)
    assert "JSON" in body["message"]
    assert definitions(client) == before


def test_malformed_json_on_start_is_400_and_starts_nothing(client: TestClient) -> None:
    register(client, two_step())
    response = client.post("/api/workflow", content=MALFORMED, headers=JSON_HEADERS)
    body = assert_error(response, 400)
    assert "JSON" in body["message"]
    assert search_total(client) == 0


def test_malformed_json_on_task_update_is_400_and_task_unchanged(client: TestClient) -> None:
    wf_id, polled = running(client)
    before_task, before_wf = task(client, polled["taskId"]), workflow(client, wf_id)
    response = client.post("/api/tasks", content=MALFORMED, headers=JSON_HEADERS)
    body = assert_error(response, 400)
    assert "JSON" in body["message"]
    assert task(client, polled["taskId"]) == before_task
    assert workflow(client, wf_id) == before_wf


def test_start_of_unknown_version_is_404(client: TestClient) -> None:
    register(client, two_step())
    response = client.post("/api/workflow", json={"name": "two_step", "version": 7})
    assert_error(response, 404, "No such workflow defined. name=two_step, version=7")
    assert search_total(client) == 0


def test_start_of_unknown_name_without_version_is_404_with_java_null(
    client: TestClient,
) -> None:
    """Conductor formats the missing version with Java's `%s` of null: `version=null`."""
    response = client.post("/api/workflow", json={"name": "ghost", "input": {}})
    assert_error(response, 404, "No such workflow defined. name=ghost, version=null")
    assert search_total(client) == 0


def test_get_of_unknown_workflow_id_is_404(client: TestClient) -> None:
    response = client.get("/api/workflow/no-such-id")
    assert_error(response, 404, "No such workflow found by id: no-such-id")


def invalid_def_is_rejected(client: TestClient, definition: JSON, expected: str) -> None:
    register(client, two_step())
    before = definitions(client)
    response = client.post("/api/metadata/workflow", json=definition)
    body = assert_error(response, 400)
    assert expected in validation_messages(body)
    assert definitions(client) == before


def test_definition_with_empty_task_list_is_400(client: TestClient) -> None:
    invalid_def_is_rejected(
        client, {"name": "empty", "version": 1, "tasks": []}, "WorkflowTask list cannot be empty"
    )
    assert_error(client.get("/api/metadata/workflow/empty"), 404)


def test_definition_with_duplicate_reference_names_is_400(client: TestClient) -> None:
    tasks = [
        {"name": "step_a", "taskReferenceName": "same"},
        {"name": "step_b", "taskReferenceName": "same"},
    ]
    invalid_def_is_rejected(
        client,
        {"name": "dup", "version": 1, "tasks": tasks},
        "taskReferenceName: same should be unique across tasks for a given workflowDefinition: dup",
    )


def test_definition_without_name_is_400(client: TestClient) -> None:
    tasks = [{"name": "step_a", "taskReferenceName": "a"}]
    invalid_def_is_rejected(
        client, {"version": 1, "tasks": tasks}, "WorkflowDef name cannot be null or empty"
    )


def test_task_result_without_task_id_is_400(client: TestClient) -> None:
    wf_id, polled = running(client)
    before = task(client, polled["taskId"])
    response = client.post("/api/tasks", json={"workflowInstanceId": wf_id, "status": "COMPLETED"})
    body = assert_error(response, 400)
    assert validation_messages(body) == ["Task ID cannot be null or empty"]
    assert task(client, polled["taskId"]) == before


def test_task_result_without_workflow_id_is_400(client: TestClient) -> None:
    _, polled = running(client)
    before = task(client, polled["taskId"])
    result = {"taskId": polled["taskId"], "status": "COMPLETED", "outputData": {"value": 1}}
    body = assert_error(client.post("/api/tasks", json=result), 400)
    assert validation_messages(body) == ["Workflow Id cannot be null or empty"]
    assert task(client, polled["taskId"]) == before


def test_update_of_unknown_task_is_404(client: TestClient) -> None:
    wf_id, _ = running(client)
    before = workflow(client, wf_id)
    result = {"workflowInstanceId": wf_id, "taskId": "no-such-task", "status": "COMPLETED"}
    response = client.post("/api/tasks", json=result)
    assert_error(response, 404, "Task not found for taskId: no-such-task")
    assert workflow(client, wf_id) == before


def test_second_update_of_a_completed_task_is_409_and_changes_nothing(
    client: TestClient,
) -> None:
    """Podium deviation: Conductor ignores it silently (200); Podium refuses it with 409."""
    wf_id, polled = running(client)
    complete(client, polled, {"value": "first"})
    before_task, before_wf = task(client, polled["taskId"]), workflow(client, wf_id)
    response = report(client, polled, "COMPLETED", {"value": "second"})
    assert_error(response, 409)
    assert task(client, polled["taskId"]) == before_task
    after = workflow(client, wf_id)
    assert after == before_wf
    assert [t["referenceTaskName"] for t in after["tasks"]] == ["a", "b"], "advanced only once"
    assert after["tasks"][1]["inputData"] == {"fromA": "first"}


def test_resending_the_recorded_result_is_acknowledged_and_changes_nothing(
    client: TestClient,
) -> None:
    """A worker whose first answer was lost (a timeout, a 503 after the commit went through)
    sends the same result again: 200, nothing applied twice, the resend in the history."""
    wf_id, polled = running(client)
    complete(client, polled, {"value": "first"})
    before_task, before_wf = task(client, polled["taskId"]), workflow(client, wf_id)
    assert report(client, polled, "COMPLETED", {"value": "first"}).status_code == 200
    assert task(client, polled["taskId"]) == before_task
    assert workflow(client, wf_id) == before_wf
    events = [e["event"] for e in client.get(f"/api/workflow/{wf_id}/history").json()]
    assert events.count("task_update_repeated") == 1
    assert_error(report(client, polled, "FAILED", {"value": "first"}), 409)  # not the same


def test_failing_a_completed_task_is_409_too(client: TestClient) -> None:
    wf_id, polled = running(client)
    complete(client, polled, {"value": "first"})
    before = workflow(client, wf_id)
    assert_error(report(client, polled, "FAILED", reason="late"), 409)
    assert workflow(client, wf_id) == before


def test_update_of_a_task_of_a_terminated_workflow_is_409(client: TestClient) -> None:
    wf_id, polled = running(client)
    assert client.delete(f"/api/workflow/{wf_id}", params={"reason": "stop"}).status_code == 200
    before_task, before_wf = task(client, polled["taskId"]), workflow(client, wf_id)
    assert before_task["status"] == "CANCELED"
    assert_error(report(client, polled, "COMPLETED", {"value": "late"}), 409)
    assert task(client, polled["taskId"]) == before_task
    assert workflow(client, wf_id) == before_wf
    assert before_wf["status"] == "TERMINATED"


def big_definition() -> JSON:
    return {**two_step("big"), "description": "x" * (70 * 1024)}


def test_oversized_body_with_content_length_is_413(client: TestClient) -> None:
    register(client, two_step())
    before = definitions(client)
    response = client.post("/api/metadata/workflow", json=big_definition())
    body = assert_error(response, 413)
    assert "65536" in body["message"]
    assert definitions(client) == before


def test_oversized_streamed_body_is_413(client: TestClient) -> None:
    register(client, two_step())

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "two_step", "input": {"blob": "'
        for _ in range(80):
            yield b"y" * 1024
        yield b'"}}'

    response = client.post("/api/workflow", content=chunks(), headers=JSON_HEADERS)
    assert_error(response, 413)
    assert search_total(client) == 0


def test_poll_timeout_over_5000_ms_is_400_and_claims_nothing(client: TestClient) -> None:
    register(client, two_step())
    wf_id = start(client, "two_step")
    response = client.get("/api/tasks/poll/batch/step_a", params={"timeout": 5001})
    assert_error(response, 400, "Long Poll Timeout value cannot be more than 5000 ms")
    [scheduled] = workflow(client, wf_id)["tasks"]
    assert scheduled["status"] == "SCHEDULED"
    assert scheduled["pollCount"] == 0


def test_priority_100_on_start_is_400(client: TestClient) -> None:
    register(client, two_step())
    response = client.post("/api/workflow", json={"name": "two_step", "priority": 100})
    body = assert_error(response, 400)
    assert any("priority" in m for m in validation_messages(body))
    assert search_total(client) == 0


def test_priority_100_on_start_by_name_is_400(client: TestClient) -> None:
    register(client, two_step())
    response = client.post("/api/workflow/two_step", params={"priority": 100}, json={})
    assert_error(response, 400)
    assert search_total(client) == 0


def test_search_size_over_5000_is_400(client: TestClient) -> None:
    response = client.get("/api/workflow/search", params={"size": 5001})
    assert_error(response, 400)
    assert client.get("/api/workflow/search", params={"size": 5000}).status_code == 200


def search_error(client: TestClient, **params: Any) -> JSON:
    register(client, two_step())
    start(client, "two_step")
    body = assert_error(client.get("/api/workflow/search", params=params), 400)
    assert search_total(client) == 1
    return body


def test_search_with_bad_query_syntax_is_400(client: TestClient) -> None:
    body = search_error(client, query="status = ")
    assert "status" in body["message"]


def test_search_with_unclosed_quote_is_400(client: TestClient) -> None:
    search_error(client, query="workflowType = 'two_step")


def test_search_on_unknown_field_is_400(client: TestClient) -> None:
    """Podium deviation: Conductor ignores unknown fields; Podium names them in a 400."""
    body = search_error(client, query="colour = 'blue'")
    assert "colour" in body["message"]


def test_task_search_on_unknown_field_is_400(client: TestClient) -> None:
    response = client.get("/api/tasks/search", params={"query": "colour = 'blue'"})
    assert_error(response, 400)


def test_wrong_http_method_is_405(client: TestClient) -> None:
    register(client, two_step())
    before = definitions(client)
    assert_error(client.delete("/api/metadata/workflow"), 405)
    assert_error(client.patch("/api/workflow"), 405)
    assert definitions(client) == before


def test_unknown_route_is_404_json(client: TestClient) -> None:
    assert_error(client.get("/api/no/such/route"), 404)
    assert_error(client.post("/api/nothing", json={}), 404)


def test_register_of_existing_definition_without_overwrite_is_409(client: TestClient) -> None:
    register(client, two_step(description="original"))
    before = definitions(client)
    changed = two_step(description="changed")
    response = client.post("/api/metadata/workflow", json=changed)
    assert_error(response, 409, "Workflow with two_step.1 already exists!")
    assert definitions(client) == before
    response = client.post("/api/metadata/workflow", json=changed, params={"overwrite": "false"})
    assert_error(response, 409, "Workflow with two_step.1 already exists!")
    assert definitions(client)[0]["description"] == "original"
