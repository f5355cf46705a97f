"""Announcements between PostgreSQL nodes: payload size and who hears what."""

from __future__ import annotations

import orjson

from podium.store.postgres.notify import PostgresListener, notification_payloads


def test_many_keys_are_split_into_payloads_postgresql_accepts() -> None:
    keys = {f"wf:{n:036d}" for n in range(1000)}
    payloads = list(notification_payloads("node-a", keys))
    assert len(payloads) > 1
    assert all(len(p.encode()) < 8000 for p in payloads)
    heard = [orjson.loads(p) for p in payloads]
    assert {k for note in heard for k in note["keys"]} == keys
    assert {note["from"] for note in heard} == {"node-a"}


def test_a_node_ignores_its_own_announcements_and_malformed_ones() -> None:
    listener = PostgresListener("postgresql://unused", origin="node-a")
    delivered: list[list[str]] = []
    for payload in [
        *notification_payloads("node-a", {"q1"}),
        *notification_payloads("node-b", {"q2", "wf:1"}),
        "not json",
        '{"from": "node-c"}',
        "[1, 2]",
    ]:
        listener._deliver(payload, delivered.append)
    assert delivered == [["q2", "wf:1"]]
