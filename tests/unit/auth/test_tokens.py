"""The cluster's own tokens: what verifies, and every way a forged or stale one is refused."""

from __future__ import annotations

import base64
import dataclasses

import orjson
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from podium.auth.principals import Principal
from podium.auth.tokens import LEEWAY_S, TokenExpired, TokenInvalid, TokenSigner

SIGNER = TokenSigner(b"s" * 32)
WORKER = Principal.of_application("a1", "billing", frozenset({"WORKER"}))
NOW = 1_800_000_000


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")


def test_a_token_names_its_application_key_and_expiry() -> None:
    token = SIGNER.issue(WORKER, "key-1", NOW, 3600)
    with_key = dataclasses.replace(WORKER, key_id="key-1")
    assert SIGNER.verify(token, NOW + 10) == (with_key, "key-1", NOW + 3600)


def test_a_token_expires_after_its_ttl_and_a_little_clock_skew() -> None:
    token = SIGNER.issue(WORKER, "key-1", NOW, 60)
    assert SIGNER.verify(token, NOW + 60 + LEEWAY_S)[0].id == WORKER.id
    with pytest.raises(TokenExpired):
        SIGNER.verify(token, NOW + 61 + LEEWAY_S)


def test_a_token_signed_with_another_secret_is_refused() -> None:
    token = TokenSigner(b"t" * 32).issue(WORKER, "key-1", NOW, 60)
    with pytest.raises(TokenInvalid) as refused:
        SIGNER.verify(token, NOW)
    assert not isinstance(refused.value, TokenExpired)


def test_alg_none_and_other_algorithms_are_refused() -> None:
    claims = {"iss": "podium", "sub": "app:a1", "kid": "k", "exp": NOW + 60, "roles": ["ADMIN"]}
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    rsa = RSAKey.generate_key(2048)
    rs256 = jwt.encode({"alg": "RS256"}, claims, rsa)
    hs512 = jwt.encode({"alg": "HS512"}, claims, OctKey.import_key(b"s" * 64), algorithms=["HS512"])
    for token in (unsigned, rs256, hs512):
        with pytest.raises(TokenInvalid):
            SIGNER.verify(token, NOW)


def test_a_token_with_tampered_claims_is_refused() -> None:
    header, _claims, signature = SIGNER.issue(WORKER, "key-1", NOW, 60).split(".")
    forged = {"iss": "podium", "sub": "app:a1", "kid": "key-1", "exp": NOW + 60, "roles": ["ADMIN"]}
    with pytest.raises(TokenInvalid):
        SIGNER.verify(f"{header}.{_b64(forged)}.{signature}", NOW)


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "app:a1", "kid": "k", "exp": NOW + 60, "roles": []},  # no issuer
        {"iss": "other", "sub": "app:a1", "kid": "k", "exp": NOW + 60, "roles": []},
        {"iss": "podium", "sub": "jane", "kid": "k", "exp": NOW + 60, "roles": []},
        {"iss": "podium", "sub": "app:a1", "exp": NOW + 60, "roles": []},  # no key id
        {"iss": "podium", "sub": "app:a1", "kid": "k", "roles": []},  # no expiry
        {"iss": "podium", "sub": "app:a1", "kid": "k", "exp": "soon", "roles": []},
        {"iss": "podium", "sub": "app:a1", "kid": "k", "exp": NOW + 60, "roles": "ADMIN"},
    ],
)
def test_a_correctly_signed_token_without_the_claims_podium_issues_is_refused(
    claims: dict[str, object],
) -> None:
    token = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(b"s" * 32))
    with pytest.raises(TokenInvalid):
        SIGNER.verify(token, NOW)


@pytest.mark.parametrize("garbage", ["", "x", "a.b.c", "...", "é.é.é", "a" * 10_000, "\x00.\x01."])
def test_garbage_is_refused_as_invalid(garbage: str) -> None:
    with pytest.raises(TokenInvalid):
        SIGNER.verify(garbage, NOW)
