"""RabbitMQ (AMQP 0-9-1) event queues through aio-pika: `amqp:<queue>` and `amqp_queue:<queue>`.

Both publish to and consume from a durable queue of that name through the default exchange,
with persistent messages and publisher confirms, so a message the EVENT task reported as sent
survives a broker restart. A consumed message is acknowledged once its handler returned; one
whose handling was interrupted (shutdown) is redelivered. `connect_robust` reconnects by itself
and restores the consumers.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
    ConsumerTag,
)

from podium.events.bus import Message, MessageHandler, PublishFailed, SubscribeFailed
from podium.events.codec import decode, encode

__all__ = ["AmqpBus"]

log = logging.getLogger("podium.events.amqp")

_TIMEOUT_S = 10.0


class AmqpBus:
    """One robust connection: a channel for publishing, one channel per consumed queue."""

    def __init__(self, url: str, *, prefetch: int = 16, timeout_s: float = _TIMEOUT_S) -> None:
        self._url = url
        self._prefetch = prefetch
        self._timeout_s = timeout_s
        self._lock = asyncio.Lock()
        self._connection: AbstractRobustConnection | None = None
        self._publisher: AbstractChannel | None = None
        self._declared: set[str] = set()
        self._consumers: dict[str, tuple[AbstractChannel, AbstractQueue, ConsumerTag]] = {}

    async def publish(self, queue: str, payload: dict[str, Any]) -> None:
        message = aio_pika.Message(
            encode(payload),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=str(uuid.uuid4()),
        )
        try:
            channel = await self._publishing_channel()
            if queue not in self._declared:
                await channel.declare_queue(queue, durable=True, timeout=self._timeout_s)
                self._declared.add(queue)
            await channel.default_exchange.publish(
                message, routing_key=queue, timeout=self._timeout_s
            )
        except Exception as exc:  # driver errors become Podium errors at this boundary
            raise PublishFailed(f"AMQP publish to {queue} failed: {_describe(exc)}") from exc

    async def subscribe(self, queue: str, handler: MessageHandler) -> None:
        await self.unsubscribe(queue)
        try:
            channel = await (await self._connect()).channel()
            await channel.set_qos(prefetch_count=self._prefetch)
            declared = await channel.declare_queue(queue, durable=True, timeout=self._timeout_s)
            tag = await declared.consume(_consumer(queue, handler), timeout=self._timeout_s)
        except Exception as exc:
            raise SubscribeFailed(f"AMQP subscribe to {queue} failed: {_describe(exc)}") from exc
        self._consumers[queue] = (channel, declared, tag)

    async def unsubscribe(self, queue: str) -> None:
        found = self._consumers.pop(queue, None)
        if found is None:
            return
        channel, declared, tag = found
        try:
            await declared.cancel(tag, timeout=self._timeout_s)
            await channel.close()
        except Exception as exc:  # the connection is gone: so is the consumer
            log.warning(
                "AMQP unsubscribe failed",
                extra={"action": "event_unsubscribe_failed", "queue": queue, "error": str(exc)},
            )

    async def close(self) -> None:
        self._consumers.clear()
        if self._connection is not None:
            await self._connection.close()
        self._connection = self._publisher = None

    async def _connect(self) -> AbstractRobustConnection:
        async with self._lock:
            if self._connection is None or self._connection.is_closed:
                self._connection = await aio_pika.connect_robust(
                    self._url, timeout=self._timeout_s, client_properties={"product": "podium"}
                )
                self._publisher = None
            return self._connection

    async def _publishing_channel(self) -> AbstractChannel:
        connection = await self._connect()
        async with self._lock:
            if self._publisher is None or self._publisher.is_closed:
                self._publisher = await connection.channel(publisher_confirms=True)
            return self._publisher


def _consumer(queue: str, handler: MessageHandler) -> Any:
    async def on_message(incoming: AbstractIncomingMessage) -> None:
        message_id = incoming.message_id or str(uuid.uuid4())
        payload = decode(incoming.body, queue, message_id)
        try:
            if payload is not None:
                await handler(Message(message_id, payload))
        except Exception:  # one bad message must not stop the consumer
            log.exception(
                "event message failed",
                extra={"action": "event_message_failed", "queue": queue, "messageId": message_id},
            )
        # Not reached when cancelled (shutdown): the broker redelivers the message.
        await incoming.ack()

    return on_message


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
