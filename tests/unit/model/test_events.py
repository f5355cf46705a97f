"""Event handler parsing and Conductor's validation messages (podium.model.events)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from podium.errors import BadRequest, ValidationFailed
from podium.model.events import Action, ActionType, EventHandler, TaskDetails
from podium.model.validation import parse_model

FIXTURE = (
    Path(__file__).resolve().parents[4]
    / "shared/fixtures/conductor-oss/test-harness/sqs-complete-wait-event-handler.json"
)


def _handler(**extra: Any) -> dict[str, Any]:
    start = {"name": "refund", "input": {"orderId": "${orderId}"}}
    actions = [{"action": "start_workflow", "start_workflow": start}]
    return {"name": "on_refund", "event": "conductor:refunds", "actions": actions, **extra}


def _violations(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as exc:
        parse_model(EventHandler, data)
    return [(v.path, v.message) for v in exc.value.violations]


def test_the_sqs_fixture_parses_and_serialises_back_unchanged() -> None:
    data = json.loads(FIXTURE.read_text())
    handler = parse_model(EventHandler, data)
    assert handler.active is True
    assert handler.evaluatorType == "javascript"
    action = handler.actions[0]
    assert action.action is ActionType.COMPLETE_TASK
    assert action.expandInlineJSON is True
    assert isinstance(action.complete_task, TaskDetails)
    assert action.complete_task.taskRefName == "wait_for_sqs_event_ref"
    assert handler.to_json() == data


def test_an_empty_handler_gets_conductors_three_messages() -> None:
    assert sorted(_violations({})) == [
        ("eventHandler.actions", "No actions specified. Please specify at-least one action"),
        ("eventHandler.event", "Missing event location"),
        ("eventHandler.name", "Missing event handler name"),
    ]


def test_nulls_count_as_missing() -> None:
    found = _violations({"name": None, "event": None, "actions": None, "active": None})
    assert [message for _, message in found] == [
        "Missing event handler name",
        "Missing event location",
        "No actions specified. Please specify at-least one action",
    ]


def test_an_event_needs_a_queue_type() -> None:
    for event in ("orders", ":orders"):
        [(path, message)] = _violations(_handler(event=event))
        assert path == "eventHandler.event"
        assert message.startswith(f"Illegal event {event}: expected <type>:<queue>")
    # Any type is accepted: which queue providers run is the runner's business.
    assert parse_model(EventHandler, _handler(event="kafka:orders:eu")).queue_type == "kafka"


@pytest.mark.parametrize("kind", [t.value for t in ActionType if t is not ActionType.START_AGENT])
def test_an_action_needs_the_payload_of_its_type(kind: str) -> None:
    other = "fail_task" if kind == "complete_task" else "complete_task"
    actions = [{"action": kind, other: {"taskId": "t"}}]
    assert _violations(_handler(actions=actions)) == [
        (
            f"eventHandler.actions[0].{kind}",
            f"Action {kind} requires a {kind} object with its parameters",
        )
    ]


def test_every_action_is_checked_and_a_missing_type_is_reported() -> None:
    actions = [
        {"action": "complete_task", "complete_task": {}},
        {"expandInlineJSON": True},
        {"action": "fail_task", "fail_task": None},
    ]
    paths = [path for path, _ in _violations(_handler(actions=actions))]
    assert paths == ["eventHandler.actions[1].action", "eventHandler.actions[2].fail_task"]


def test_an_unknown_action_type_is_a_readable_violation() -> None:
    [(path, message)] = _violations(_handler(actions=[{"action": "send_email"}]))
    assert path == "eventHandler.actions[0].action"
    assert "must be one of" in message
    assert '"send_email"' in message


def test_start_agent_is_accepted_and_its_payload_kept() -> None:
    action = {"action": "start_agent", "start_agent": {"agent": "triage"}}
    handler = parse_model(EventHandler, _handler(actions=[action]))
    assert handler.to_json()["actions"] == [{**action, "expandInlineJSON": False}]
    assert parse_model(EventHandler, _handler(actions=[{"action": "start_agent"}])).actions


def test_defaults_unknown_fields_and_null_omission() -> None:
    body = _handler(
        description="Orkes only",
        tags=[{"key": "team", "value": "payments"}],
        condition=None,
        evaluatorType=None,
    )
    body["actions"][0]["start_workflow"]["version"] = None
    out = parse_model(EventHandler, body).to_json()
    assert out == {
        "name": "on_refund",
        "event": "conductor:refunds",
        "actions": [
            {
                "action": "start_workflow",
                "start_workflow": {"name": "refund", "input": {"orderId": "${orderId}"}},
                "expandInlineJSON": False,
            }
        ],
        "active": False,
    }


def test_other_action_payloads_round_trip() -> None:
    actions = [
        {
            "action": "terminate_workflow",
            "terminate_workflow": {"workflowId": "${wf}", "terminationReason": "cancelled"},
            "expandInlineJSON": False,
        },
        {
            "action": "update_workflow_variables",
            "update_workflow_variables": {
                "workflowId": "${wf}",
                "variables": {"paid": True},
                "appendArray": True,
            },
            "expandInlineJSON": False,
        },
        {
            "action": "fail_task",
            "fail_task": {
                "workflowId": "${wf}",
                "taskRefName": "pay",
                "output": {},
                "reasonForIncompletion": "declined",
            },
            "expandInlineJSON": True,
        },
    ]
    body = _handler(actions=actions, active=True, condition="$.ok", evaluatorType="graaljs")
    assert parse_model(EventHandler, body).to_json() == body


def test_the_payload_of_an_action_is_the_field_of_its_type() -> None:
    action = Action.model_validate({"action": "fail_task", "fail_task": {"taskId": "t"}})
    assert action.payload() == TaskDetails(taskId="t")
    assert Action().payload() is None


def test_a_body_that_is_not_an_object_is_a_bad_request() -> None:
    data: Any
    for data in (None, [], "handler"):
        with pytest.raises(BadRequest, match="eventHandler must be a JSON object"):
            parse_model(EventHandler, data)
