"""Event handlers run: EVENT tasks publish on the built-in `conductor` queue and handlers act.

Every test drives a real in-process server (SQLite file, background loops) through HTTP only:
an EVENT task publishes, the event processor evaluates the handlers of that event, and the
actions change other executions. Waits are conditions with deadlines.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from podium.config import Settings
from podium.server import build_app

from .conftest import register
from .drive import JSON, start, wait_for, workflow

FIXTURES = Path(__file__).resolve().parents[3] / "shared/fixtures/conductor-oss/test-harness"
WAIT_SECONDS = 10.0


def add_handler(client: TestClient, name: str, event: str, *actions: JSON, **extra: Any) -> None:
    body = {"name": name, "event": event, "actions": list(actions), "active": True, **extra}
    response = client.post("/api/event", json=body)
    assert response.status_code == 200, response.text


def complete_wait(workflow_id: str, ref: str = "wait_ref", **output: Any) -> JSON:
    details = {"workflowId": workflow_id, "taskRefName": ref, "output": output}
    return {"action": "complete_task", "complete_task": details}


def waiter(name: str = "waiter") -> JSON:
    wait = {"name": "wait", "taskReferenceName": "wait_ref", "type": "WAIT"}
    return {"name": name, "version": 1, "tasks": [wait]}


def sender(name: str, sink: str, **task: Any) -> JSON:
    event = {
        "name": "notify",
        "taskReferenceName": "send_ref",
        "type": "EVENT",
        "sink": sink,
        "inputParameters": {
            "target": "${workflow.input.target}",
            "orderId": "${workflow.input.orderId}",
        },
        **task,
    }
    return {"name": name, "version": 1, "tasks": [event]}


def ended(client: TestClient, workflow_id: str, status: str = "COMPLETED") -> JSON:
    def check() -> JSON | None:
        found = workflow(client, workflow_id)
        return found if found["status"] == status else None

    return wait_for(check, timeout=WAIT_SECONDS, what=f"{workflow_id} {status}")


def logged(caplog: pytest.LogCaptureFixture, **fields: Any) -> list[JSON]:
    """The fields of the captured log records that have these values."""
    found = [r.__dict__ for r in caplog.records]
    return [r for r in found if all(r.get(k) == v for k, v in fields.items())]


def executions(caplog: pytest.LogCaptureFixture) -> list[JSON]:
    """The logged EventExecutions (handled, skipped or failed)."""
    return [r for r in logged(caplog) if "executionId" in r]


def task_of(found: JSON, ref: str) -> JSON:
    return next(t for t in found["tasks"] if t["referenceTaskName"] == ref)


def test_an_event_task_completes_a_wait_task_of_another_workflow(client: TestClient) -> None:
    register(client, waiter())
    register(client, sender("sender", "conductor"))
    add_handler(
        client,
        "complete_waiter",
        "conductor:sender:send_ref",
        complete_wait("${target}", orderId="${orderId}", by="handler"),
    )
    target = start(client, "waiter")
    source = start(client, "sender", input={"target": target, "orderId": 42})

    sent = task_of(ended(client, source), "send_ref")
    assert sent["status"] == "COMPLETED"
    assert sent["outputData"]["event_produced"] == "conductor:sender:send_ref"
    assert sent["outputData"]["workflowInstanceId"] == source
    assert sent["outputData"]["workflowType"] == "sender"
    assert sent["outputData"]["workflowVersion"] == 1
    waited = task_of(ended(client, target), "wait_ref")
    output = waited["outputData"]
    assert (output["orderId"], output["by"]) == (42, "handler")
    assert output["conductor.event.name"] == "conductor:sender:send_ref"
    assert output["conductor.event.messageId"]
    assert output["workflowId"] == target
    assert output["taskRefName"] == "wait_ref"


def test_a_message_published_before_its_handler_exists_waits_for_it(client: TestClient) -> None:
    register(client, waiter())
    register(client, sender("early_sender", "conductor"))
    target = start(client, "waiter")
    ended(client, start(client, "early_sender", input={"target": target, "orderId": 5}))

    add_handler(client, "late", "conductor:early_sender:send_ref", complete_wait("${target}"))
    assert task_of(ended(client, target), "wait_ref")["outputData"]["workflowId"] == target


def test_the_conductor_test_harness_fixture_pair_on_the_conductor_sink(
    client: TestClient,
) -> None:
    """sqs-test-workflow + its handler, with `sqs:` swapped for the built-in queue: the handler
    completes the WAIT that follows the EVENT task in the same execution."""
    definition = json.loads((FIXTURES / "sqs-test-workflow.json").read_text())
    handler = json.loads((FIXTURES / "sqs-complete-wait-event-handler.json").read_text())
    definition["tasks"][0]["sink"] = "conductor"
    handler["event"] = "conductor:sqs_test_workflow:send_sqs_event_ref"
    register(client, definition)
    response = client.post("/api/event", json=handler)
    assert response.status_code == 200, response.text

    done = ended(client, start(client, "sqs_test_workflow"))
    waited = task_of(done, "wait_for_sqs_event_ref")["outputData"]
    assert waited["eventReceived"] is True
    assert waited["completedBy"] == "event_handler"


def test_the_sink_name_form_and_a_failing_action(client: TestClient) -> None:
    register(client, waiter())
    register(client, sender("named_sender", "conductor:orders"))
    fail = {"workflowId": "${target}", "taskRefName": "wait_ref", "reasonForIncompletion": "no"}
    add_handler(client, "fail_waiter", "conductor:named_sender:orders", {
        "action": "fail_task", "fail_task": fail,
    })  # fmt: skip
    target = start(client, "waiter")
    start(client, "named_sender", input={"target": target})

    failed = ended(client, target, "FAILED")
    assert task_of(failed, "wait_ref")["status"] == "FAILED"
    assert task_of(failed, "wait_ref")["reasonForIncompletion"] == "no"


def test_start_workflow_with_condition_and_inline_json(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="podium.events")
    register(client, waiter("started_by_event"))
    register(client, sender("order_source", "conductor"))
    begin = {
        "name": "started_by_event",
        "correlationId": "order-${orderId.id}",
        "input": {"orderId": "${orderId.id}", "whole": "${orderId}"},
    }
    action = {"action": "start_workflow", "start_workflow": begin, "expandInlineJSON": True}
    event = "conductor:order_source:send_ref"
    add_handler(client, "big_orders", event, action, condition="$.orderId.id > 5")

    start(client, "order_source", input={"orderId": json.dumps({"id": 3})})
    start(client, "order_source", input={"orderId": json.dumps({"id": 7})})

    def started() -> list[JSON] | None:
        found = client.get("/api/workflow/started_by_event/correlated/order-7")
        assert found.status_code == 200, found.text
        return found.json() or None

    [child] = wait_for(started, timeout=WAIT_SECONDS, what="the started workflow")
    assert child["event"] == event
    assert child["input"]["orderId"] == 7
    assert child["input"]["whole"] == {"id": 7}
    assert child["input"]["conductor.event.name"] == event
    skipped = wait_for(
        lambda: logged(caplog, status="SKIPPED"),
        timeout=WAIT_SECONDS,
        what="the skipped execution",
    )
    assert skipped[0]["eventHandler"] == "big_orders"
    handled = logged(caplog, action="event_handled", eventAction="start_workflow")
    assert handled[0]["output"] == {"workflowId": child["workflowId"]}
    assert client.get("/api/workflow/started_by_event/correlated/order-3").json() == []


def test_terminate_and_update_variables_actions(client: TestClient) -> None:
    register(client, waiter())
    register(client, sender("operator", "conductor"))
    variables = {"workflowId": "${target}", "variables": {"seen": "${orderId}", "tags": ["x"]}}
    terminate = {"workflowId": "${target}", "terminationReason": "order ${orderId} cancelled"}
    add_handler(
        client,
        "cancel_order",
        "conductor:operator:send_ref",
        {"action": "update_workflow_variables", "update_workflow_variables": variables},
        {"action": "terminate_workflow", "terminate_workflow": terminate},
    )
    target = start(client, "waiter")
    start(client, "operator", input={"target": target, "orderId": 9})

    done = ended(client, target, "TERMINATED")
    assert done["reasonForIncompletion"] == "order 9 cancelled"
    assert done["variables"] == {"seen": 9, "tags": ["x"]}


def test_async_complete_event_task_waits_for_its_handler(client: TestClient) -> None:
    register(client, sender("async_sender", "conductor", asyncComplete=True))
    own = {"workflowId": "${workflowInstanceId}", "taskRefName": "send_ref", "output": {}}
    add_handler(client, "self_complete", "conductor:async_sender:send_ref", {
        "action": "complete_task", "complete_task": own,
    })  # fmt: skip
    done = ended(client, start(client, "async_sender", input={"orderId": 1}))
    sent = task_of(done, "send_ref")
    assert sent["outputData"]["event_produced"] == "conductor:async_sender:send_ref"
    assert sent["outputData"]["conductor.event.name"] == "conductor:async_sender:send_ref"


def test_a_sink_of_an_unconfigured_broker_fails_the_task(client: TestClient) -> None:
    register(client, sender("amqp_sender", "amqp:orders"))
    failed = ended(client, start(client, "amqp_sender"), "FAILED")
    reason = task_of(failed, "send_ref")["reasonForIncompletion"]
    assert "'amqp' is not configured" in reason
    assert "PODIUM_AMQP_URL" in reason


def test_inactive_and_removed_handlers_do_nothing(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="podium.events")
    register(client, waiter())
    register(client, sender("quiet_sender", "conductor"))
    event = "conductor:quiet_sender:send_ref"
    add_handler(client, "inactive", event, complete_wait("${target}"), active=False)
    add_handler(client, "removed", event, complete_wait("${target}"))
    assert client.delete("/api/event/removed").status_code == 200
    by_id = {"action": "complete_task", "complete_task": {"taskId": "${orderId}"}}
    add_handler(client, "by_task_id", event, by_id)
    target = start(client, "waiter")
    other = start(client, "waiter")
    other_task = task_of(workflow(client, other), "wait_ref")["taskId"]
    start(client, "quiet_sender", input={"target": target, "orderId": other_task})

    ended(client, other)
    runs = wait_for(
        lambda: executions(caplog),
        timeout=WAIT_SECONDS,
        what="the handler's execution",
    )
    assert [(r["eventHandler"], r["status"]) for r in runs] == [("by_task_id", "COMPLETED")]
    assert workflow(client, target)["status"] == "RUNNING"


def test_a_handler_of_an_unconfigured_broker_says_so_in_the_log(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="podium.events")
    add_handler(client, "on_nats", "nats:orders", complete_wait("${target}"))
    [failure] = wait_for(
        lambda: logged(caplog, action="event_subscribe_failed"),
        timeout=WAIT_SECONDS,
        what="the subscription failure",
    )
    assert failure["event"] == "nats:orders"
    assert "'nats' is not configured" in failure["error"]
    assert "PODIUM_NATS_URL" in failure["error"]


def test_a_broker_without_its_client_library_fails_at_start_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "podium.events.amqp", raising=False)
    monkeypatch.setitem(sys.modules, "aio_pika", None)  # what `import` sees when it is missing
    settings = Settings(db=f"sqlite:///{tmp_path / 'x.db'}", amqp_url="amqp://localhost/")
    with pytest.raises(SystemExit, match=r"pip install 'podium\[amqp\]'"):
        build_app(settings)
