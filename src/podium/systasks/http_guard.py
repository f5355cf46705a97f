"""Where the HTTP task may connect: an outbound guard against server-side request forgery.

Secure by default: loopback, link-local (cloud metadata included), unspecified, multicast and
reserved addresses are refused unless the allow list names them. Private RFC 1918 ranges stay
open, because services in the same VPC are what workflows usually call; deny them when they
should not be reachable. Conductor grew the same kind of guard (`HostAndIPChecker`,
`BlockingDnsResolver`, `BlockingRedirectStrategy` in `http-task`).

Precedence, most specific kind first: a hostname in `allow`, then a hostname in `deny`, then for
every resolved address an `allow` IP/CIDR, then a `deny` IP/CIDR, then the built-in ranges.
So "deny 0.0.0.0/0 and ::/0, allow a few" turns the guard into a strict allow list.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx

__all__ = ["BUILTIN_REFUSED", "BlockedDestination", "Destination", "OutboundGuard", "Resolver"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Turns `(host, port)` into IP address strings; the default asks the system (getaddrinfo)."""

SCHEMES = frozenset({"http", "https"})

BUILTIN_REFUSED: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "unspecified"),  # 0.0.0.0 reaches the local host on Linux
    ("127.0.0.0/8", "loopback"),
    ("169.254.169.254/32", "cloud metadata"),
    ("169.254.0.0/16", "link-local"),
    ("100.100.100.200/32", "cloud metadata"),  # Alibaba Cloud's metadata service
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),  # includes the broadcast address 255.255.255.255
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("fd00:ec2::254/128", "cloud metadata"),  # AWS's IPv6 metadata endpoint
    ("fe80::/10", "link-local"),
    ("ff00::/8", "multicast"),
)
_BUILTIN = tuple((ipaddress.ip_network(cidr), label) for cidr, label in BUILTIN_REFUSED)
_HOSTNAME = re.compile(
    r"^(\*\.|\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$"
)


class BlockedDestination(Exception):
    """The outbound guard refuses to let the HTTP task reach this destination."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Destination:
    """A checked destination: the host as the URL names it, its port and the allowed addresses."""

    host: str
    port: int
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class _Rules:
    networks: tuple[IPNetwork, ...]
    names: frozenset[str]
    suffixes: tuple[str, ...]

    def names_host(self, host: str) -> bool:
        return host in self.names or any(host.endswith(suffix) for suffix in self.suffixes)

    def network_of(self, address: IPAddress) -> IPNetwork | None:
        return next((net for net in self.networks if address in net), None)


class OutboundGuard:
    """Checks a URI's scheme, host and every address the host resolves to.

    `allow` and `deny` take hostnames (`api.example.com`, `*.example.com` for subdomains), IP
    addresses and CIDRs; a malformed entry raises `ValueError` at construction.
    """

    def __init__(
        self,
        allow: Sequence[str] = (),
        deny: Sequence[str] = (),
        *,
        resolver: Resolver | None = None,
    ) -> None:
        self._allow = _parse_rules(allow, "allow")
        self._deny = _parse_rules(deny, "deny")
        self._resolve = resolver or _system_resolver

    async def check(self, uri: str) -> None:
        """Raise `BlockedDestination` when `uri` may not be called (`OSError` if unresolvable)."""
        await self.resolve(uri)

    async def resolve(self, uri: str) -> Destination:
        """Check `uri` and return the addresses the call must connect to (and only to)."""
        url = _parse(uri)
        host = _normalise_host(url.raw_host.decode("ascii"))
        port = url.port or (443 if url.scheme == "https" else 80)
        literal = _ip_or_none(host)
        if literal is None and self._deny.names_host(host) and not self._allow.names_host(host):
            raise BlockedDestination(f"{host} is on the outbound deny list")
        addresses = (str(literal),) if literal else await self._addresses(host, port)
        if literal is not None or not self._allow.names_host(host):
            for address in addresses:
                self._check_address(host, address)
        return Destination(host=url.raw_host.decode("ascii"), port=port, addresses=addresses)

    async def _addresses(self, host: str, port: int) -> tuple[str, ...]:
        found = tuple(dict.fromkeys(await self._resolve(host, port)))
        if not found:
            raise OSError(f"{host} resolved to no address")
        return found

    def _check_address(self, host: str, text: str) -> None:
        address = _effective(ipaddress.ip_address(text))
        if self._allow.network_of(address) is not None:
            return
        shown = host if host == str(address) else f"{host} ({address})"
        denied = self._deny.network_of(address)
        if denied is not None:
            raise BlockedDestination(f"{shown} is in the denied range {denied}")
        for network, label in _BUILTIN:
            if address in network:
                raise BlockedDestination(
                    f"{shown} is a {label} address; add it to the outbound allow list to call it"
                )


def _parse(uri: str) -> httpx.URL:
    try:
        url = httpx.URL(uri)
    except httpx.InvalidURL as exc:
        raise BlockedDestination(f"invalid URI: {exc}") from exc
    if url.scheme not in SCHEMES:
        shown = url.scheme or "no scheme"
        raise BlockedDestination(f"only http and https URIs may be called, not {shown}")
    if not url.host:
        raise BlockedDestination("the URI has no host")
    return url


def _normalise_host(host: str) -> str:
    return host.lower().rstrip(".").strip("[]")


def _ip_or_none(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _effective(address: IPAddress) -> IPAddress:
    """An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 address it carries."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _parse_rules(entries: Sequence[str], kind: str) -> _Rules:
    networks: list[IPNetwork] = []
    names: set[str] = set()
    suffixes: list[str] = []
    for entry in entries:
        text = _normalise_host(str(entry).strip())
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
            continue
        except ValueError:
            pass
        if not _HOSTNAME.match(text):
            raise ValueError(f"outbound {kind} entry {entry!r} is not a hostname, IP or CIDR")
        if text.startswith(("*.", ".")):
            suffixes.append(text[text.index(".") :])
        else:
            names.add(text)
    return _Rules(tuple(networks), frozenset(names), tuple(suffixes))


async def _system_resolver(host: str, port: int) -> Sequence[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]
