"""Running event handlers: subscribe to their events and apply their actions to each message.

Mirrors Conductor's `DefaultEventProcessor` and `SimpleActionProcessor` (spec §6.12): for every
message on an event, each active handler of exactly that event evaluates its condition against
the payload and, when it holds, runs its actions with `${...}` resolved against the payload.
`terminate_workflow` and `update_workflow_variables` follow Orkes (OSS refuses them).

Each outcome is an `EventExecution`, written to the logs (`event_handled`,
`event_action_failed`); there is no table of them yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import ValidationError

from podium.errors import BadRequest, NotFound, PodiumError, StoreUnavailable
from podium.events.bus import EventBus, EventBusError, EventBuses, Message
from podium.expr.javascript import JAVASCRIPT_EVALUATORS, evaluate, truthy
from podium.expr.params import resolve_value
from podium.model.definitions import ConductorModel
from podium.model.events import Action, ActionType, EventHandler
from podium.model.executions import HistoryEvent, Task
from podium.model.requests import StartWorkflowRequest, TaskResult, TaskResultStatus
from podium.services.context import HANDLERS_CHANGED, ServiceContext
from podium.services.events import EventHandlerService
from podium.services.operations import Operations
from podium.services.starting import Starter
from podium.services.taskadmin import TaskAdmin
from podium.services.tasks import TaskService
from podium.services.unit import announce, unit_of_work

__all__ = ["EventActions", "EventExecution", "EventProcessor", "WatchedEventHandlers"]

log = logging.getLogger("podium.events")

JSON = dict[str, Any]
MESSAGE_ID = "conductor.event.messageId"
EVENT_NAME = "conductor.event.name"
_REFRESH_S = 5.0
"""Handlers changed on another server are picked up this late (local changes at once)."""
_RETRY_DELAYS_S = (0.05, 0.1, 0.2, 0.4, 0.8)
"""Back-off of transient action failures (Conductor retries them too)."""


class _NotYet(PodiumError):
    """The task an action addresses is not scheduled yet; its workflow still runs."""


class WatchedEventHandlers(EventHandlerService):
    """The handler definitions, telling the processor at once when they change."""

    async def add(self, handler: EventHandler) -> None:
        await super().add(handler)
        await announce(self.ctx, {HANDLERS_CHANGED})

    async def update(self, handler: EventHandler) -> None:
        await super().update(handler)
        await announce(self.ctx, {HANDLERS_CHANGED})

    async def remove(self, name: str) -> None:
        await super().remove(name)
        await announce(self.ctx, {HANDLERS_CHANGED})


@dataclass(frozen=True, slots=True)
class EventExecution:
    """What one handler did with one message (Conductor `EventExecution`)."""

    id: str
    messageId: str
    name: str
    event: str
    created: int
    status: str
    action: str | None
    output: JSON = field(default_factory=dict)

    def log(self) -> None:
        failed = self.status == "FAILED"
        log.log(
            logging.WARNING if failed else logging.INFO,
            "event action failed" if failed else "event handled",
            extra={
                "action": "event_action_failed" if failed else "event_handled",
                "executionId": self.id,
                "messageId": self.messageId,
                "eventHandler": self.name,
                "event": self.event,
                "createdAt": self.created,
                "status": self.status,
                "eventAction": self.action,
                "output": self.output,
            },
        )


class EventActions:
    """The actions a handler can run; each returns its output or raises a PodiumError."""

    def __init__(
        self,
        ctx: ServiceContext,
        starter: Starter,
        tasks: TaskService,
        task_admin: TaskAdmin,
        operations: Operations,
    ) -> None:
        self.ctx, self.starter, self.tasks = ctx, starter, tasks
        self.task_admin, self.operations = task_admin, operations

    async def run(self, action: Action, payload: JSON, event: str, msg_id: str) -> JSON:
        """Run one action with `${...}` resolved against `payload`; returns its output."""
        found = action.payload()
        params = found.to_json() if isinstance(found, ConductorModel) else found
        kind = action.action
        if params is None or kind is None or kind is ActionType.START_AGENT:
            raise BadRequest(f"Action not supported: {kind.value if kind else None}")
        if kind is ActionType.START_WORKFLOW:
            return await self.start_workflow(params, payload, event, msg_id)
        if kind in (ActionType.COMPLETE_TASK, ActionType.FAIL_TASK):
            status = TaskResultStatus.COMPLETED
            if kind is ActionType.FAIL_TASK:
                status = TaskResultStatus.FAILED
            return await self.settle_task(params, status, payload, event, msg_id)
        resolved: JSON = resolve_value(params, payload)
        workflow_id = _text(resolved, "workflowId")
        if kind is ActionType.TERMINATE_WORKFLOW:
            reason = resolved.get("terminationReason")
            await self.operations.terminate(workflow_id, reason, actor=_actor(event))
            return {"workflowId": workflow_id}
        variables = resolved.get("variables") or {}
        append = bool(resolved.get("appendArray"))
        await self.update_variables(workflow_id, variables, append, actor=_actor(event))
        return {"workflowId": workflow_id, "variables": variables}

    async def start_workflow(self, params: JSON, payload: JSON, event: str, msg_id: str) -> JSON:
        """Start a workflow whose `event` is this event; its input carries the message id."""
        resolved = resolve_value({k: v for k, v in params.items() if k != "taskToDomain"}, payload)
        domains = params.get("taskToDomain") or payload.get("taskToDomain") or {}
        request = StartWorkflowRequest.model_validate(
            {
                **resolved,
                "input": {**(resolved.get("input") or {}), MESSAGE_ID: msg_id, EVENT_NAME: event},
                "taskToDomain": domains if isinstance(domains, dict) else {},
            }
        )
        try:
            async with unit_of_work(self.ctx) as unit:
                started = await self.starter.start(unit, request, actor=_actor(event), event=event)
        except Exception as exc:
            self.ctx.observer.workflow_start_failed(request.name, type(exc).__name__)
            raise
        return {"workflowId": started}

    async def settle_task(
        self, params: JSON, status: TaskResultStatus, payload: JSON, event: str, msg_id: str
    ) -> JSON:
        """complete_task / fail_task: output = the resolved parameters + the message's names."""
        wanted = {key: params.get(key) for key in ("workflowId", "taskId", "taskRefName")}
        reason = params.get("reasonForIncompletion")
        extra = {} if reason is None else {"reasonForIncompletion": reason}
        resolved: JSON = resolve_value({**wanted, **params.get("output", {}), **extra}, payload)
        task = await self._find_task(resolved)
        reason = resolved.get("reasonForIncompletion")
        result = TaskResult(
            workflowInstanceId=task.workflowInstanceId,
            taskId=task.taskId,
            status=status,
            outputData={**task.outputData, **resolved, MESSAGE_ID: msg_id, EVENT_NAME: event},
            reasonForIncompletion=None if reason is None else str(reason),
            workerId=_actor(event),
        )
        await self.tasks.update(result)
        return {**resolved, "taskId": task.taskId}

    async def _find_task(self, found: JSON) -> Task:
        if found.get("taskId"):
            return await self.task_admin.get(str(found["taskId"]))
        workflow_id, ref = found.get("workflowId"), str(found.get("taskRefName") or "")
        if not workflow_id or not ref:
            raise BadRequest("complete_task and fail_task need taskId or workflowId+taskRefName")
        async with unit_of_work(self.ctx) as unit:
            wf = await unit.tx.get_workflow(str(workflow_id), lock=False)
            if wf is None:
                raise NotFound(f"No such workflow found by id: {workflow_id}")
            latest = (await unit.tx.latest_tasks(wf.workflowId, [ref])).get(ref)
        if latest is None:  # a reference with its loop suffix, e.g. `wait__2`
            latest = await self.task_admin.live_by_ref(wf.workflowId, ref)
        if latest is not None:
            return latest
        message = f"No task found with reference name {ref} in workflow {workflow_id}"
        raise (NotFound if wf.status.terminal else _NotYet)(message)

    async def update_variables(
        self, workflow_id: str, variables: JSON, append_array: bool, *, actor: str
    ) -> None:
        """Merge `variables` into the workflow's (lists are extended when `append_array`)."""
        if not isinstance(variables, dict):
            raise BadRequest("update_workflow_variables needs a variables map")
        async with unit_of_work(self.ctx) as unit:
            wf = await unit.tx.get_workflow(workflow_id)
            if wf is None:
                raise NotFound(f"No such workflow found by id: {workflow_id}")
            merged = dict(wf.variables)
            for key, value in variables.items():
                old = merged.get(key)
                if append_array and isinstance(old, list):
                    merged[key] = old + (value if isinstance(value, list) else [value])
                else:
                    merged[key] = value
            wf.variables, wf.updateTime = merged, self.ctx.clock()
            await unit.tx.update_workflow(wf)
            event = "workflow_variables_updated"
            names = ", ".join(sorted(variables))
            at, node = wf.updateTime, self.ctx.node
            history = HistoryEvent(wf.workflowId, at, event, actor, node, reason=names)
            await unit.tx.append_history([history])
            unit.wake.add(f"wf:{wf.workflowId}")


@dataclass(slots=True)
class _Subscription:
    bus: EventBus
    queue: str
    events: set[str]


class EventProcessor:
    """Keeps one subscription per event of the active handlers and processes its messages."""

    def __init__(
        self,
        ctx: ServiceContext,
        handlers: EventHandlerService,
        buses: EventBuses,
        actions: EventActions,
        *,
        refresh_s: float = _REFRESH_S,
    ) -> None:
        self.ctx, self.handlers, self.buses, self.actions = ctx, handlers, buses, actions
        self.refresh_s = refresh_s
        self._subscriptions: dict[tuple[int, str], _Subscription] = {}
        self._failures: dict[str, str] = {}
        self._changed: asyncio.Event | None = None

    def handlers_changed(self) -> None:
        """Re-read the handlers now (a handler was added, updated or removed here)."""
        if self._changed is not None:
            self._changed.set()

    async def run(self) -> None:
        """Subscribe to the events of the active handlers, and follow changes, until cancelled."""
        self._changed = changed = asyncio.Event()
        try:
            while True:
                changed.clear()
                try:
                    await self.sync()
                except Exception:  # the database is away, or a bug: try again later
                    log.exception("event sync failed", extra={"action": "event_sync_failed"})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), self.refresh_s)
        finally:
            for sub in list(self._subscriptions.values()):
                with contextlib.suppress(Exception):
                    await sub.bus.unsubscribe(sub.queue)
            self._subscriptions.clear()

    async def sync(self) -> None:
        """Subscribe to every event of an active handler; drop the others."""
        wanted = {h["event"] for h in await self.handlers.list_all() if h.get("active")}
        self._failures = {e: why for e, why in self._failures.items() if e in wanted}
        for key, sub in list(self._subscriptions.items()):
            for event in sub.events - wanted:
                sub.events.discard(event)
                log.info("unsubscribed", extra={"action": "event_unsubscribed", "event": event})
            if not sub.events:
                del self._subscriptions[key]
                await sub.bus.unsubscribe(sub.queue)
        known = {e for sub in self._subscriptions.values() for e in sub.events}
        for event in sorted(wanted - known):
            await self._subscribe(event)

    async def _subscribe(self, event: str) -> None:
        try:
            bus, queue = self.buses.route(event)
        except EventBusError as exc:
            self._cannot_subscribe(event, exc.message)
            return
        key = (id(bus), queue)
        if key in self._subscriptions:
            self._subscriptions[key].events.add(event)
        else:  # registered first: a queued message may arrive before subscribe() returns
            self._subscriptions[key] = _Subscription(bus, queue, {event})
            try:
                await bus.subscribe(queue, lambda message: self._deliver(key, message))
            except EventBusError as exc:
                del self._subscriptions[key]
                self._cannot_subscribe(event, exc.message)
                return
        self._failures.pop(event, None)
        log.info("subscribed", extra={"action": "event_subscribed", "event": event})

    def _cannot_subscribe(self, event: str, why: str) -> None:
        if self._failures.get(event) != why:  # say it once, not at every refresh
            self._failures[event] = why
            extra = {"action": "event_subscribe_failed", "event": event, "error": why}
            log.warning("cannot subscribe to event", extra=extra)

    async def _deliver(self, key: tuple[int, str], message: Message) -> None:
        sub = self._subscriptions.get(key)
        for event in sorted(sub.events if sub else ()):
            await self.process(event, message)

    async def process(self, event: str, message: Message) -> list[EventExecution]:
        """Run every active handler of `event` on one message; returns what each did."""
        out: list[EventExecution] = []
        for raw in await self.handlers.list_for_event(event, active_only=True):
            try:
                handler = EventHandler.model_validate(raw)
            except ValidationError:
                log.warning("bad handler", extra={"action": "event_handler_invalid", "raw": raw})
                continue
            out.extend(await self._apply(handler, event, message))
        for execution in out:
            execution.log()
        return out

    async def _apply(
        self, handler: EventHandler, event: str, message: Message
    ) -> list[EventExecution]:
        def record(index: int, status: str, action: str | None, output: JSON) -> EventExecution:
            return EventExecution(
                f"{message.id}_{index}", message.id, handler.name, event, self.ctx.clock(),
                status, action, output,
            )  # fmt: skip

        try:
            holds = _condition_holds(handler, _expand(message.payload))
        except PodiumError as exc:
            return [record(0, "FAILED", None, {"error": f"condition: {exc.message}"})]
        if not holds:
            return [record(0, "SKIPPED", None, {"msg": message.payload})]
        out = []
        for index, action in enumerate(handler.actions):
            payload = _expand(message.payload) if action.expandInlineJSON else message.payload
            status, output = await self._run_action(action, payload, event, message.id)
            kind = action.action.value if action.action else None
            out.append(record(index, status, kind, output))
        return out

    async def _run_action(
        self, action: Action, payload: JSON, event: str, msg_id: str
    ) -> tuple[str, JSON]:
        for delay in (*_RETRY_DELAYS_S, None):
            try:
                return "COMPLETED", await self.actions.run(action, payload, event, msg_id)
            except (StoreUnavailable, _NotYet) as exc:
                if delay is None:
                    return "FAILED", {"error": exc.message}
                await asyncio.sleep(delay)
            except PodiumError as exc:
                return "FAILED", {"error": exc.message}
            except (ValidationError, ValueError, TypeError, KeyError) as exc:
                return "FAILED", {"error": f"{type(exc).__name__}: {exc}"}
        raise AssertionError("unreachable")  # pragma: no cover


def _condition_holds(handler: EventHandler, payload: JSON) -> bool:
    condition = (handler.condition or "").strip()
    if not condition:
        return True
    kind = handler.evaluatorType or "javascript"
    if kind in JAVASCRIPT_EVALUATORS:
        return truthy(evaluate(condition, payload))
    if kind == "value-param":
        return truthy(payload.get(condition))
    raise BadRequest(f"Unsupported evaluatorType for an event handler condition: {kind}")


def _expand(value: Any) -> Any:
    """Conductor's `JsonUtils.expand`: JSON objects and arrays written as strings are parsed."""
    if isinstance(value, dict):
        return {key: _expand(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_expand(item) for item in value]
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            return _expand(orjson.loads(value))
        except orjson.JSONDecodeError:
            return value
    return value


def _text(found: JSON, key: str) -> str:
    value = found.get(key)
    if not value:
        raise BadRequest(f"{key} is required")
    return str(value)


def _actor(event: str) -> str:
    return f"event:{event}"
