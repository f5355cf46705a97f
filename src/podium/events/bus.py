"""The seam between Podium and message brokers: publish, subscribe, close.

An event string is `"<type>:<queue>"` (Conductor `EventQueues`): `conductor:<wf>:<ref>` is the
built-in in-process queue, `amqp:<queue>` / `amqp_queue:<queue>` a RabbitMQ queue, and
`nats:<subject>` a NATS subject. `EventBuses` routes a string to the bus of its type.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from podium.errors import PodiumError

__all__ = [
    "EventBus",
    "EventBusError",
    "EventBuses",
    "Message",
    "MessageHandler",
    "NotConfigured",
    "PublishFailed",
    "SubscribeFailed",
]


@dataclass(frozen=True, slots=True)
class Message:
    """One message received on a queue: its id (the broker's, or a new one) and JSON payload."""

    id: str
    payload: dict[str, Any] = field(default_factory=dict)


MessageHandler = Callable[[Message], Awaitable[None]]


class EventBus(Protocol):
    """One broker connection (or the in-process queue); queue names come without their type."""

    async def publish(self, queue: str, payload: dict[str, Any]) -> None:
        """Send one JSON message; returns once the broker has it (raises `PublishFailed`)."""
        ...

    async def subscribe(self, queue: str, handler: MessageHandler) -> None:
        """Deliver every message of `queue` to `handler` until unsubscribed.

        A message counts as handled once `handler` returns; an error in it is logged and the
        message is dropped (the processor records failures itself).
        """
        ...

    async def unsubscribe(self, queue: str) -> None:
        """Stop delivering `queue` (nothing happens when it is not subscribed)."""
        ...

    async def close(self) -> None:
        """Stop every subscription and release the connection."""
        ...


class EventBusError(PodiumError):
    """The event could not be sent or received."""


class NotConfigured(EventBusError):
    """This server has no connection for the event's queue type."""


class PublishFailed(EventBusError):
    """The broker did not take the message."""


class SubscribeFailed(EventBusError):
    """The broker refused or could not be reached for a subscription."""


# Conductor's module names for the same broker (`amqp_queue:` is the explicit queue form).
_ALIASES = {"amqp_queue": "amqp"}
_SETTING = {"amqp": "PODIUM_AMQP_URL / --amqp-url", "nats": "PODIUM_NATS_URL / --nats-url"}


class EventBuses:
    """The buses of one server, by queue type; routes event strings to them."""

    def __init__(self, buses: Mapping[str, EventBus]) -> None:
        self._buses = dict(buses)

    @property
    def types(self) -> list[str]:
        """The configured queue types."""
        return sorted(self._buses)

    def route(self, event: str) -> tuple[EventBus, str]:
        """The bus and queue name of an event string; `NotConfigured` when there is none."""
        kind, colon, queue = event.partition(":")
        if not colon or not queue:
            raise NotConfigured(f"Illegal event {event}: expected <type>:<queue>")
        kind = _ALIASES.get(kind, kind)
        bus = self._buses.get(kind)
        if bus is None:
            hint = f" (set {_SETTING[kind]})" if kind in _SETTING else ""
            raise NotConfigured(f"Event queue type {kind!r} is not configured on this server{hint}")
        return bus, queue

    async def publish(self, event: str, payload: dict[str, Any]) -> None:
        """Publish to the queue an event string names."""
        bus, queue = self.route(event)
        await bus.publish(queue, payload)

    async def close(self) -> None:
        """Close every bus (errors are ignored: this runs at shutdown)."""
        for bus in self._buses.values():
            # One broker failing to close must not keep the others open.
            with contextlib.suppress(Exception):
                await bus.close()
