"""Build the buses a server's settings ask for; a missing client library fails at start."""

from __future__ import annotations

from podium.events.bus import EventBus, EventBuses
from podium.events.conductor_bus import ConductorBus

__all__ = ["MissingDependency", "build_buses"]


class MissingDependency(RuntimeError):
    """A configured broker needs a library that is not installed (the message says which)."""


def build_buses(*, amqp_url: str | None = None, nats_url: str | None = None) -> EventBuses:
    """The built-in `conductor` bus, plus AMQP and NATS when their URL is set.

    Nothing connects here: a bus connects on first use, so a broker that is down at start only
    fails the events that need it.
    """
    buses: dict[str, EventBus] = {"conductor": ConductorBus()}
    if amqp_url:
        try:
            from podium.events.amqp import AmqpBus
        except ImportError as exc:
            raise MissingDependency(_hint("--amqp-url", "aio-pika", "amqp")) from exc
        buses["amqp"] = AmqpBus(amqp_url)
    if nats_url:
        try:
            from podium.events.nats import NatsBus
        except ImportError as exc:
            raise MissingDependency(_hint("--nats-url", "nats-py", "nats")) from exc
        buses["nats"] = NatsBus(nats_url)
    return EventBuses(buses)


def _hint(flag: str, package: str, extra: str) -> str:
    return f"{flag} needs the {package} package: pip install 'podium[{extra}]'"
