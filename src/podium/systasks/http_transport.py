"""An httpx transport that connects only to addresses the outbound guard has checked.

Checking a hostname and then letting the HTTP stack resolve it again leaves a DNS-rebinding gap:
the second answer could be 127.0.0.1. So `call_http` pins the checked addresses for the duration
of one request (a context variable) and the network backend below connects to those addresses,
never to a fresh lookup. TLS still verifies the certificate against the hostname of the URL.

Limits: httpx has no public hook for the network backend, so the transport rebuilds its own
connection pool (checked against httpx 0.28 / httpcore 1.0). A keep-alive connection opened by an
earlier, checked call may be reused for the same scheme, host and port.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterable, Iterator, Mapping

import httpcore
import httpx

from podium.systasks.http_guard import BlockedDestination, Destination

__all__ = ["DEFAULT_LIMITS", "PinnedTransport", "pinned"]

_PINS: contextvars.ContextVar[Mapping[str, tuple[str, ...]] | None] = contextvars.ContextVar(
    "podium_http_pins", default=None
)

DEFAULT_LIMITS = httpx.Limits(
    max_connections=100, max_keepalive_connections=20, keepalive_expiry=30
)


@contextlib.contextmanager
def pinned(destination: Destination) -> Iterator[None]:
    """Within the block, connections to `destination.host` go only to its checked addresses."""
    token = _PINS.set({destination.host: destination.addresses})
    try:
        yield
    finally:
        _PINS.reset(token)


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects to the pinned addresses of a host; refuses unpinned hosts while pins are set."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        pins = _PINS.get()
        if pins is None:  # a call that did not go through the guard: plain behaviour
            targets: tuple[str, ...] = (host,)
        elif host in pins:
            targets = pins[host]
        else:
            raise BlockedDestination(f"{host} was not checked by the outbound guard")
        *others, last = targets
        for address in others:  # like a resolver-driven connect: try each address in turn
            with contextlib.suppress(httpcore.ConnectError, httpcore.ConnectTimeout):
                return await self._connect(address, port, timeout, local_address, socket_options)
        return await self._connect(last, port, timeout, local_address, socket_options)

    async def _connect(
        self,
        address: str,
        port: int,
        timeout: float | None,
        local_address: str | None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._inner.connect_tcp(
            address,
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedDestination("the HTTP task does not connect to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's HTTP/1.1 transport over `_PinnedBackend`; never uses proxies from the environment."""

    def __init__(self, limits: httpx.Limits = DEFAULT_LIMITS) -> None:
        super().__init__(limits=limits, trust_env=False, retries=0)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_PinnedBackend(),
        )
