"""Identity set by a trusted reverse proxy (Oathkeeper's `header` mutator and the like).

Behind Oathkeeper, the proxy authenticates the caller (a Kratos session cookie, say) and passes
who it is in headers. Podium believes those headers only from the proxy's own addresses; from
anywhere else they are removed before any other code sees them, so a client cannot name itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from podium.auth.principals import ROLES, Principal, plain_text

__all__ = ["IDENTITY_HEADERS", "TrustedProxies", "without_identity"]

USER, EMAIL, ROLES_HEADER = b"x-user", b"x-user-email", b"x-user-roles"
FORWARDED_FOR = b"x-forwarded-for"
GROUPS_HEADER = b"x-user-groups"
IDENTITY_HEADERS = frozenset({USER, EMAIL, ROLES_HEADER, GROUPS_HEADER})
_MAX_HEADER = 1024

Headers = list[tuple[bytes, bytes]]


class TrustedProxies:
    def __init__(self, networks: Sequence[str]) -> None:
        """`networks`: IPs or CIDRs; ValueError names the first malformed one."""
        self.networks = [ipaddress.ip_network(n.strip(), strict=False) for n in networks]

    def trusts(self, address: str | None) -> bool:
        if not self.networks or not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def principal(self, headers: Iterable[tuple[bytes, bytes]]) -> Principal | None:
        """The caller the proxy names, or None when it names nobody."""
        found = {name: value for name, value in headers if name in IDENTITY_HEADERS}
        subject = _text(found.get(USER))
        if not subject:
            return None
        roles = frozenset(_names(found.get(ROLES_HEADER))) & ROLES
        groups = frozenset(_names(found.get(GROUPS_HEADER)))
        return Principal(subject, _text(found.get(EMAIL)) or subject, roles, groups=groups)

    def client_address(self, peer: str | None, headers: Iterable[tuple[bytes, bytes]]) -> str:
        """The caller's address: the TCP peer, or behind trusted proxies the right-most
        `X-Forwarded-For` entry that is not itself a trusted proxy.

        Each proxy appends the address it was called from, so only the entries right of the
        first stranger are vouched for; anything left of it the client may have written.
        """
        if not peer or not self.trusts(peer):
            return peer or "-"
        hops = [
            hop
            for name, value in headers
            if name == FORWARDED_FOR
            for hop in value.decode("latin-1").split(",")
        ]
        address = peer
        for hop in reversed(hops):
            parsed = _ip(hop)
            if parsed is None:  # not an address: believe no further
                break
            address = parsed
            if not self.trusts(parsed):
                break
        return address


def without_identity(headers: Headers) -> Headers:
    """The headers minus every identity header (for requests not from a trusted proxy)."""
    return [(name, value) for name, value in headers if name not in IDENTITY_HEADERS]


def _names(raw: bytes | None) -> list[str]:
    """Names separated by commas or spaces."""
    return _text(raw).replace(",", " ").split()


def _text(raw: bytes | None) -> str:
    if raw is None or len(raw) > _MAX_HEADER:
        return ""
    text = raw.decode("latin-1").strip()
    return text if plain_text(text) else ""


def _ip(hop: str) -> str | None:
    """An `X-Forwarded-For` entry as an IP address (some proxies add a port), or None."""
    hop = hop.strip()
    if hop.startswith("["):  # [2001:db8::1]:443
        hop = hop[1:].partition("]")[0]
    elif hop.count(":") == 1:  # 203.0.113.9:443
        hop = hop.partition(":")[0]
    try:
        return str(ipaddress.ip_address(hop))
    except ValueError:
        return None
