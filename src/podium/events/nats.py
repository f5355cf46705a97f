"""NATS event queues through nats-py: `nats:<subject>`.

Core NATS keeps no messages: a message published while no server subscribes is lost (use
`amqp:` when that matters). Every Podium server subscribes in the queue group `podium`, so one
of them handles each message. The client reconnects by itself and restores subscriptions.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from podium.events.bus import Message, MessageHandler, PublishFailed, SubscribeFailed
from podium.events.codec import decode, encode

__all__ = ["QUEUE_GROUP", "NatsBus"]

log = logging.getLogger("podium.events.nats")

QUEUE_GROUP = "podium"
_MSG_ID = "Nats-Msg-Id"
_TIMEOUT_S = 10
_FIRST_ATTEMPTS = 1


class NatsBus:
    """One connection; one subscription per subject."""

    def __init__(self, url: str, *, timeout_s: int = _TIMEOUT_S) -> None:
        self._url = url
        self._timeout_s = timeout_s
        self._lock = asyncio.Lock()
        self._client: Client | None = None
        self._subscriptions: dict[str, Subscription] = {}
        self._closing = False

    async def publish(self, queue: str, payload: dict[str, Any]) -> None:
        try:
            client = await self._connect()
            await client.publish(queue, encode(payload), headers={_MSG_ID: str(uuid.uuid4())})
            await client.flush(timeout=self._timeout_s)  # the server has it once this returns
        except Exception as exc:  # driver errors become Podium errors at this boundary
            raise PublishFailed(f"NATS publish to {queue} failed: {_describe(exc)}") from exc

    async def subscribe(self, queue: str, handler: MessageHandler) -> None:
        await self.unsubscribe(queue)
        try:
            client = await self._connect()
            sub = await client.subscribe(queue, queue=QUEUE_GROUP, cb=_consumer(queue, handler))
            await client.flush(timeout=self._timeout_s)
        except Exception as exc:
            raise SubscribeFailed(f"NATS subscribe to {queue} failed: {_describe(exc)}") from exc
        self._subscriptions[queue] = sub

    async def unsubscribe(self, queue: str) -> None:
        sub = self._subscriptions.pop(queue, None)
        if sub is None:
            return
        try:
            await sub.unsubscribe()
        except Exception as exc:  # the connection is gone: so is the subscription
            log.warning(
                "NATS unsubscribe failed",
                extra={"action": "event_unsubscribe_failed", "queue": queue, "error": str(exc)},
            )

    async def close(self) -> None:
        self._closing = True
        self._subscriptions.clear()
        if self._client is not None and not self._client.is_closed:
            await self._client.close()
        self._client = None

    async def _connect(self) -> Client:
        async with self._lock:
            if self._client is None or self._client.is_closed:
                client = await nats.connect(
                    self._url,
                    name="podium",
                    connect_timeout=self._timeout_s,
                    max_reconnect_attempts=_FIRST_ATTEMPTS,
                    error_cb=_on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=_on_reconnected,
                )
                # nats-py retries even a first connection forever with -1; once connected,
                # reconnect forever (the option is read at each reconnect).
                client.options["max_reconnect_attempts"] = -1
                self._client = client
            return self._client

    async def _on_disconnected(self) -> None:
        if not self._closing:
            log.warning("NATS disconnected", extra={"action": "nats_disconnected"})


def _consumer(queue: str, handler: MessageHandler) -> Any:
    async def on_message(msg: Msg) -> None:
        message_id = (msg.headers or {}).get(_MSG_ID) or str(uuid.uuid4())
        payload = decode(msg.data, queue, message_id)
        if payload is None:
            return
        try:
            await handler(Message(message_id, payload))
        except Exception:  # one bad message must not stop the subscription
            log.exception(
                "event message failed",
                extra={"action": "event_message_failed", "queue": queue, "messageId": message_id},
            )

    return on_message


async def _on_error(exc: Exception) -> None:
    log.warning("NATS error", extra={"action": "nats_error", "error": _describe(exc)})


async def _on_reconnected() -> None:
    log.info("NATS reconnected", extra={"action": "nats_reconnected"})


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
