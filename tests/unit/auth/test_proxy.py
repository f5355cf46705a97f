"""The caller's address behind trusted proxies (`X-Forwarded-For`)."""

from __future__ import annotations

import pytest

from podium.auth.proxy import TrustedProxies

PROXIES = TrustedProxies(["10.1.0.0/16", "fd00::/8"])


def forwarded(*values: str) -> list[tuple[bytes, bytes]]:
    return [(b"x-forwarded-for", v.encode()) for v in values]


@pytest.mark.parametrize(
    ("headers", "address"),
    [
        ([], "10.1.2.3"),  # the proxy itself, or a proxy that adds no header
        (forwarded("203.0.113.9"), "203.0.113.9"),
        (forwarded("203.0.113.9, 10.1.7.7"), "203.0.113.9"),  # a chain of our proxies
        (forwarded("6.6.6.6, 203.0.113.9"), "203.0.113.9"),  # the client wrote the first
        (forwarded("6.6.6.6", "203.0.113.9, 10.1.7.7"), "203.0.113.9"),  # repeated header
        (forwarded("10.1.9.9, 10.1.7.7"), "10.1.9.9"),  # all ours: the left-most
        (forwarded("203.0.113.9:5123"), "203.0.113.9"),
        (forwarded("[2001:db8::1]:443, fd00::2"), "2001:db8::1"),
        (forwarded("203.0.113.9, unknown"), "10.1.2.3"),  # garbage: believe no further
        (forwarded("6.6.6.6, not-an-ip, 10.1.7.7"), "10.1.7.7"),
        (forwarded(""), "10.1.2.3"),
    ],
)
def test_behind_trusted_proxies_the_right_most_stranger_is_the_client(
    headers: list[tuple[bytes, bytes]], address: str
) -> None:
    assert PROXIES.client_address("10.1.2.3", headers) == address


def test_from_anyone_else_the_header_is_ignored() -> None:
    spoofed = forwarded("203.0.113.9")
    assert PROXIES.client_address("192.0.2.7", spoofed) == "192.0.2.7"
    assert TrustedProxies([]).client_address("10.1.2.3", spoofed) == "10.1.2.3"
    assert PROXIES.client_address(None, spoofed) == "-"
