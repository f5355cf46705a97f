"""Event handlers: what to do when a message arrives on an event queue (Conductor `EventHandler`).

The shapes follow `common/.../metadata/events/EventHandler.java` (spec §2.9): a handler listens
on one event string `"<type>:<queue>"`, evaluates an optional condition against each message and
runs its actions. Action payload keys are snake_case on the wire (`start_workflow`,
`complete_task`, ...), exactly as Conductor's Java fields are named.

`event_handler_violations` holds Conductor's bean-validation rules for a handler, plus two that
Conductor only discovers later (an event without a queue type, an action without its payload);
`podium.model.validation.parse_model` runs it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from podium.errors import Violation
from podium.model.definitions import ConductorModel

__all__ = [
    "Action",
    "ActionType",
    "EventHandler",
    "StartWorkflow",
    "TaskDetails",
    "TerminateWorkflow",
    "UpdateWorkflowVariables",
    "event_handler_violations",
]

JSON = dict[str, Any]


class ActionType(StrEnum):
    """What an action does; its payload is the action's field of the same name."""

    START_WORKFLOW = "start_workflow"
    COMPLETE_TASK = "complete_task"
    FAIL_TASK = "fail_task"
    TERMINATE_WORKFLOW = "terminate_workflow"
    UPDATE_WORKFLOW_VARIABLES = "update_workflow_variables"
    START_AGENT = "start_agent"


class StartWorkflow(ConductorModel):
    """Payload of `start_workflow`: which workflow to start, with what (values may be `${...}`)."""

    name: str | None = None
    version: int | None = None
    correlationId: str | None = None
    input: JSON = {}
    taskToDomain: dict[str, str] | None = None


class TaskDetails(ConductorModel):
    """Payload of `complete_task` / `fail_task`: the task (by id, or workflow and reference)."""

    workflowId: str | None = None
    taskRefName: str | None = None
    taskId: str | None = None
    output: JSON = {}
    reasonForIncompletion: str | None = None


class TerminateWorkflow(ConductorModel):
    """Payload of `terminate_workflow`."""

    workflowId: str | None = None
    terminationReason: str | None = None


class UpdateWorkflowVariables(ConductorModel):
    """Payload of `update_workflow_variables`."""

    workflowId: str | None = None
    variables: JSON | None = None
    appendArray: bool | None = None


class Action(ConductorModel):
    """One action of a handler: its type and the payload for that type."""

    action: ActionType | None = None
    start_workflow: StartWorkflow | None = None
    complete_task: TaskDetails | None = None
    fail_task: TaskDetails | None = None
    terminate_workflow: TerminateWorkflow | None = None
    update_workflow_variables: UpdateWorkflowVariables | None = None
    # Orkes-only and undocumented in OSS: kept as sent so that a round trip loses nothing.
    start_agent: JSON | None = None
    expandInlineJSON: bool = False

    def payload(self) -> ConductorModel | JSON | None:
        """The payload object for this action's type (None when it is missing)."""
        if self.action is None:
            return None
        found: ConductorModel | JSON | None = getattr(self, self.action.value)
        return found


class EventHandler(ConductorModel):
    """A registered event handler (Conductor `EventHandler`, spec §2.9); its key is `name`."""

    name: str = ""
    event: str = ""
    condition: str | None = None
    evaluatorType: str | None = None
    actions: list[Action] = []
    active: bool = False

    @property
    def queue_type(self) -> str:
        """The event's queue type, e.g. `sqs` for `sqs:orders` ('' when there is none)."""
        kind, colon, _ = self.event.partition(":")
        return kind if colon else ""


# Actions whose payload the handler must carry; start_agent's shape is not known, so not checked.
_NEEDS_PAYLOAD = frozenset(ActionType) - {ActionType.START_AGENT}
_TYPES = ", ".join(t.value for t in ActionType)


def event_handler_violations(handler: EventHandler, path: str, _: object = None) -> list[Violation]:
    """Every violated rule of a handler, with paths under `path` (e.g. `eventHandler`).

    The three messages of Conductor's bean validation are kept word for word; the event format
    mirrors `EventQueues.getQueue` ("Illegal event ..."), which Conductor checks on add/update.
    """
    out: list[Violation] = []
    if not handler.name:
        out.append(Violation(f"{path}.name", "Missing event handler name"))
    if not handler.event:
        out.append(Violation(f"{path}.event", "Missing event location"))
    elif not handler.queue_type:
        message = f"Illegal event {handler.event}: expected <type>:<queue>, e.g. conductor:orders"
        out.append(Violation(f"{path}.event", message, handler.event))
    if not handler.actions:
        message = "No actions specified. Please specify at-least one action"
        out.append(Violation(f"{path}.actions", message))
    for index, action in enumerate(handler.actions):
        out.extend(_action_violations(action, f"{path}.actions[{index}]"))
    return out


def _action_violations(action: Action, path: str) -> list[Violation]:
    if action.action is None:
        return [Violation(f"{path}.action", f"Action type cannot be null, use one of: {_TYPES}")]
    kind = action.action.value
    if action.action in _NEEDS_PAYLOAD and action.payload() is None:
        message = f"Action {kind} requires a {kind} object with its parameters"
        return [Violation(f"{path}.{kind}", message)]
    return []
