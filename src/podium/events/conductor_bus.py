"""The built-in `conductor` event queue: in-process, for handlers on the same server.

Conductor keeps these messages in its QueueDAO; here a queue is an in-memory channel, so a
message lives only as long as the process. Messages published before anyone subscribes wait in a
bounded backlog (a handler registered a moment after the EVENT task ran still gets them).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import uuid
from collections import deque
from typing import Any

from podium.events.bus import Message, MessageHandler

__all__ = ["ConductorBus"]

log = logging.getLogger("podium.events.conductor")

_BACKLOG = 1000


class ConductorBus:
    """Delivers each message to the queue's handler in its own asyncio task."""

    def __init__(self, backlog: int = _BACKLOG) -> None:
        self._handlers: dict[str, MessageHandler] = {}
        self._waiting: dict[str, deque[Message]] = {}
        self._backlog = backlog
        self._running: set[asyncio.Task[None]] = set()

    async def publish(self, queue: str, payload: dict[str, Any]) -> None:
        # A deep copy: the publisher's dict must not change under the handler (or vice versa).
        message = Message(str(uuid.uuid4()), copy.deepcopy(payload))
        handler = self._handlers.get(queue)
        if handler is None:
            self._waiting.setdefault(queue, deque(maxlen=self._backlog)).append(message)
            return
        self._deliver(queue, handler, message)

    async def subscribe(self, queue: str, handler: MessageHandler) -> None:
        self._handlers[queue] = handler
        for message in self._waiting.pop(queue, ()):
            self._deliver(queue, handler, message)

    async def unsubscribe(self, queue: str) -> None:
        self._handlers.pop(queue, None)

    async def close(self) -> None:
        self._handlers.clear()
        for job in list(self._running):
            job.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    def _deliver(self, queue: str, handler: MessageHandler, message: Message) -> None:
        job = asyncio.create_task(_handle(queue, handler, message), name=f"event:{queue}")
        self._running.add(job)
        job.add_done_callback(self._running.discard)


async def _handle(queue: str, handler: MessageHandler, message: Message) -> None:
    try:
        await handler(message)
    except Exception:  # one bad message must not stop the queue
        log.exception(
            "event message failed",
            extra={"action": "event_message_failed", "queue": queue, "messageId": message.id},
        )
