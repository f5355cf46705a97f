"""`/api/event`: event handler definitions over HTTP, with Conductor's statuses and errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from .drive import JSON, assert_error, validation_messages

FIXTURE = (
    Path(__file__).resolve().parents[3]
    / "shared/fixtures/conductor-oss/test-harness/sqs-complete-wait-event-handler.json"
)
MALFORMED = b'{"name": "broken",'


def handler(name: str, event: str = "conductor:orders", **extra: Any) -> JSON:
    start = {"name": "fulfil", "input": {"orderId": "${orderId}"}}
    actions = [{"action": "start_workflow", "start_workflow": start}]
    return {"name": name, "event": event, "actions": actions, "active": True, **extra}


def stored(handler_json: JSON) -> JSON:
    """What Podium answers for a handler it was sent: Conductor's defaults filled in."""
    actions = [{"expandInlineJSON": False, **a} for a in handler_json["actions"]]
    return {"active": False, **handler_json, "actions": actions}


def add(client: TestClient, body: JSON) -> None:
    response = client.post("/api/event", json=body)
    assert response.status_code == 200, response.text
    assert response.content == b""


def every(client: TestClient) -> list[JSON]:
    response = client.get("/api/event")
    assert response.status_code == 200, response.text
    found: list[JSON] = response.json()
    return found


def for_event(client: TestClient, event: str, **params: Any) -> list[str]:
    response = client.get(f"/api/event/{event}", params=params)
    assert response.status_code == 200, response.text
    return [h["name"] for h in response.json()]


def test_the_sqs_fixture_registers_unchanged_and_reads_back_equal(client: TestClient) -> None:
    fixture = json.loads(FIXTURE.read_text())
    add(client, fixture)
    assert every(client) == [fixture]
    response = client.get("/api/event/sqs:conductor-test-sqs-COMPLETED")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == [fixture]


def test_adding_a_name_twice_is_a_conflict_and_keeps_the_first(client: TestClient) -> None:
    add(client, handler("h"))
    response = client.post("/api/event", json=handler("h", "conductor:other"))
    assert_error(response, 409, "EventHandler with name h already exists!")
    assert every(client) == [stored(handler("h"))]


def test_update_replaces_an_existing_handler(client: TestClient) -> None:
    add(client, handler("h"))
    changed = handler("h", "conductor:refunds", active=False, condition="$.amount > 0")
    response = client.put("/api/event", json=changed)
    assert response.status_code == 200, response.text
    assert response.content == b""
    assert every(client) == [stored(changed)]
    assert for_event(client, "conductor:orders", activeOnly="false") == []
    assert for_event(client, "conductor:refunds", activeOnly="false") == ["h"]


def test_update_of_a_missing_handler_is_404(client: TestClient) -> None:
    response = client.put("/api/event", json=handler("ghost"))
    assert_error(response, 404, "EventHandler with name ghost not found!")
    assert every(client) == []


def test_delete_removes_and_a_missing_name_is_404(client: TestClient) -> None:
    add(client, handler("a"))
    add(client, handler("b"))
    response = client.delete("/api/event/a")
    assert response.status_code == 200, response.text
    assert response.content == b""
    assert [h["name"] for h in every(client)] == ["b"]
    assert_error(client.delete("/api/event/a"), 404, "EventHandler with name a not found!")


def test_handlers_of_an_event_are_active_ones_unless_asked(client: TestClient) -> None:
    add(client, handler("b_on"))
    add(client, handler("a_off", active=False))
    add(client, handler("no_flag", active=None))  # null: Conductor's default, inactive
    add(client, handler("elsewhere", "conductor:orders_eu"))
    assert for_event(client, "conductor:orders") == ["b_on"]
    assert for_event(client, "conductor:orders", activeOnly="true") == ["b_on"]
    assert for_event(client, "conductor:orders", activeOnly="False") == ["a_off", "b_on", "no_flag"]
    assert for_event(client, "conductor:orders", activeOnly="") == ["b_on"]  # SDK's "no value"
    assert for_event(client, "conductor:nothing") == []
    bad = client.get("/api/event/conductor:orders", params={"activeOnly": "maybe"})
    assert_error(bad, 400)


def test_every_handler_is_listed_by_name(client: TestClient) -> None:
    assert every(client) == []
    for name in ("zeta", "alpha", "mid"):
        add(client, handler(name))
    assert [h["name"] for h in every(client)] == ["alpha", "mid", "zeta"]


def test_an_invalid_handler_is_400_with_conductors_messages(client: TestClient) -> None:
    for method in ("POST", "PUT"):
        response = client.request(method, "/api/event", json={"actions": []})
        body = assert_error(response, 400)
        assert sorted(validation_messages(body)) == [
            "Missing event handler name",
            "Missing event location",
            "No actions specified. Please specify at-least one action",
        ]
    assert every(client) == []


def test_an_action_without_its_payload_or_an_illegal_event_is_400(client: TestClient) -> None:
    body = handler("h", actions=[{"action": "complete_task"}])
    messages = validation_messages(assert_error(client.post("/api/event", json=body), 400))
    assert messages == ["Action complete_task requires a complete_task object with its parameters"]
    body = handler("h", "orders")
    messages = validation_messages(assert_error(client.post("/api/event", json=body), 400))
    assert messages[0].startswith("Illegal event orders")
    assert every(client) == []


def test_malformed_or_missing_bodies_are_400(client: TestClient) -> None:
    headers = {"content-type": "application/json"}
    for method in ("POST", "PUT"):
        response = client.request(method, "/api/event", content=MALFORMED, headers=headers)
        assert "JSON" in assert_error(response, 400)["message"]
        empty = client.request(method, "/api/event", content=b"", headers=headers)
        assert_error(empty, 400, "eventHandler must be a JSON object, not null")
        listed = client.request(method, "/api/event", json=[handler("h")])
        assert_error(listed, 400, "eventHandler must be a JSON object, not an array")
    assert every(client) == []
