"""Event handlers over real brokers: RabbitMQ (`amqp:`) and NATS (`nats:`).

A real `podium server` process connects to the brokers of this machine. EVENT tasks publish to
a queue (or subject) no other test uses, and a handler on it completes a WAIT task of another
execution; a message the test publishes itself with aio-pika / nats-py starts a workflow.

In CI (`CI=true`) an unreachable broker fails these tests; elsewhere they are skipped.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import aio_pika
import httpx
import nats
import pytest

from tests.support.server import PodiumProcess, wait_for

pytestmark = pytest.mark.acceptance

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
NATS_URL = "nats://127.0.0.1:4222"
SERVER_ARGS = ("--amqp-url", AMQP_URL, "--nats-url", NATS_URL)
WAIT_SECONDS = 15.0
CLOSED = {"includeClosed": "true"}

JSON = dict[str, Any]


def _require(url: str, what: str) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 0
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        message = f"{what} is not reachable on {host}:{port} ({exc})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def amqp_queue() -> Iterator[str]:
    """A fresh queue name, deleted from RabbitMQ afterwards."""
    _require(AMQP_URL, "RabbitMQ")
    name = f"podium-test-{uuid.uuid4().hex[:10]}"
    yield name
    asyncio.run(_delete_queue(name))


@pytest.fixture
def nats_subject() -> str:
    _require(NATS_URL, "NATS")
    return f"podium.test.{uuid.uuid4().hex[:10]}"


async def _delete_queue(name: str) -> None:
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(name)


async def _amqp_publish(queue: str, payload: JSON) -> None:
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(queue, durable=True)
        message = aio_pika.Message(json.dumps(payload).encode(), message_id="from-the-test")
        await channel.default_exchange.publish(message, routing_key=queue)


async def _nats_publish(subject: str, payload: JSON) -> None:
    client = await nats.connect(NATS_URL)
    try:
        await client.publish(subject, json.dumps(payload).encode())
        await client.flush()
    finally:
        await client.close()


# -- talking to the server --------------------------------------------------------------------


def _call(server: PodiumProcess, method: str, path: str, **kwargs: Any) -> httpx.Response:
    response = httpx.request(method, f"{server.api}{path}", timeout=10, **kwargs)
    assert response.status_code == 200, response.text
    return response


def _register(server: PodiumProcess, definition: JSON) -> None:
    _call(server, "POST", "/metadata/workflow", json=definition, params={"overwrite": "true"})


def _start(server: PodiumProcess, name: str, workflow_input: JSON | None = None) -> str:
    return _call(
        server, "POST", "/workflow", json={"name": name, "input": workflow_input or {}}
    ).text


def _add_handler(server: PodiumProcess, name: str, event: str, action: JSON) -> None:
    body = {"name": name, "event": event, "actions": [action], "active": True}
    _call(server, "POST", "/event", json=body)


def _workflow(server: PodiumProcess, workflow_id: str) -> JSON:
    found: JSON = _call(server, "GET", f"/workflow/{workflow_id}").json()
    return found


def _ended(server: PodiumProcess, workflow_id: str) -> JSON:
    def check() -> JSON | None:
        found = _workflow(server, workflow_id)
        return found if found["status"] != "RUNNING" else None

    found = wait_for(check, WAIT_SECONDS, f"workflow {workflow_id} to end")
    assert found["status"] == "COMPLETED", found
    return found


def _subscribed(server: PodiumProcess, event: str) -> None:
    """Wait until the server's log says it listens on `event` (core NATS keeps no message)."""

    def check() -> bool:
        for line in server.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("action") == "event_subscribed" and record.get("event") == event:
                    return True
        return False

    wait_for(check, WAIT_SECONDS, f"the server to subscribe to {event}")


def _pair(server: PodiumProcess, prefix: str, sink: str) -> tuple[str, str]:
    """A waiting execution and a sender whose EVENT task publishes its id to `sink`."""
    waiter = {
        "name": f"{prefix}_waiter",
        "version": 1,
        "tasks": [{"name": "wait", "taskReferenceName": "wait_ref", "type": "WAIT"}],
    }
    event_task = {
        "name": "publish",
        "taskReferenceName": "publish_ref",
        "type": "EVENT",
        "sink": sink,
        "inputParameters": {"target": "${workflow.input.target}", "amount": 12},
    }
    sender = {"name": f"{prefix}_sender", "version": 1, "tasks": [event_task]}
    _register(server, waiter)
    _register(server, sender)
    complete = {
        "workflowId": "${target}",
        "taskRefName": "wait_ref",
        "output": {"amount": "${amount}"},
    }
    _add_handler(server, f"{prefix}_handler", sink, {
        "action": "complete_task", "complete_task": complete,
    })  # fmt: skip
    return f"{prefix}_waiter", f"{prefix}_sender"


def _publish_completes_a_wait(server: PodiumProcess, prefix: str, sink: str) -> None:
    waiter, sender = _pair(server, prefix, sink)
    _subscribed(server, sink)
    target = _start(server, waiter)
    source = _ended(server, _start(server, sender, {"target": target}))
    [published] = source["tasks"]
    assert published["outputData"]["event_produced"] == sink
    [waited] = _ended(server, target)["tasks"]
    assert waited["outputData"]["amount"] == 12
    assert waited["outputData"]["conductor.event.name"] == sink


def _starter_handler(server: PodiumProcess, prefix: str, event: str) -> str:
    name = f"{prefix}_started"
    _register(server, {"name": name, "version": 1, "tasks": [
        {"name": "noop", "taskReferenceName": "noop_ref", "type": "NOOP"},
    ]})  # fmt: skip
    begin = {"name": name, "correlationId": "${orderId}", "input": {"orderId": "${orderId}"}}
    _add_handler(server, f"{prefix}_starter", event, {
        "action": "start_workflow", "start_workflow": begin,
    })  # fmt: skip
    _subscribed(server, event)
    return name


def _started_by(server: PodiumProcess, name: str, correlation_id: str) -> JSON:
    def check() -> list[JSON] | None:
        path = f"/workflow/{name}/correlated/{correlation_id}"
        found: list[JSON] = _call(server, "GET", path, params=CLOSED).json()
        return found or None

    [found] = wait_for(check, WAIT_SECONDS, f"a {name} execution for {correlation_id}")
    return found


# -- the tests --------------------------------------------------------------------------------


def test_an_amqp_event_completes_a_wait_task(podium: PodiumProcess, amqp_queue: str) -> None:
    _publish_completes_a_wait(podium, "amqp", f"amqp:{amqp_queue}")


def test_a_nats_event_completes_a_wait_task(podium: PodiumProcess, nats_subject: str) -> None:
    _publish_completes_a_wait(podium, "nats", f"nats:{nats_subject}")


def test_an_amqp_message_from_outside_starts_a_workflow(
    podium: PodiumProcess, amqp_queue: str
) -> None:
    """The message is sent before the handler exists: the durable queue keeps it."""
    event = f"amqp_queue:{amqp_queue}"
    asyncio.run(_amqp_publish(amqp_queue, {"orderId": "A-1"}))
    name = _starter_handler(podium, "amqp_in", event)
    started = _started_by(podium, name, "A-1")
    assert started["event"] == event
    assert started["input"]["orderId"] == "A-1"
    assert started["input"]["conductor.event.messageId"] == "from-the-test"


def test_a_nats_message_from_outside_starts_a_workflow(
    podium: PodiumProcess, nats_subject: str
) -> None:
    event = f"nats:{nats_subject}"
    name = _starter_handler(podium, "nats_in", event)
    asyncio.run(_nats_publish(nats_subject, {"orderId": "N-1"}))
    started = _started_by(podium, name, "N-1")
    assert started["event"] == event
    assert started["input"]["conductor.event.name"] == event
