"""Tokens of an external issuer: verified against its JWKS, and every forgery refused."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from typing import Any

import orjson
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from podium.auth.jwks import ExternalIssuer, JwksVerifier
from podium.auth.principals import Principal
from podium.auth.tokens import TokenExpired, TokenInvalid

NOW = 1_800_000_000
ISSUER = ExternalIssuer(
    "https://idp.example/jwks",
    "https://idp.example/",
    "podium",
    roles_claim="session.roles",
)


class Issuer:
    """An identity provider: its signing keys, and the JWKS it publishes."""

    def __init__(self) -> None:
        self.keys = [RSAKey.generate_key(2048, parameters={"kid": "k1"})]
        self.fetches = 0

    async def fetch(self, url: str) -> dict[str, Any]:
        assert url == ISSUER.jwks_url
        self.fetches += 1
        published: dict[str, Any] = KeySet(self.keys).as_dict(private=False)  # type: ignore[arg-type,assignment]
        return published

    def rotate(self) -> None:
        self.keys = [RSAKey.generate_key(2048, parameters={"kid": f"k{len(self.keys) + 1}"})]

    def token(self, key: Any = None, alg: str = "RS256", **claims: Any) -> str:
        key = key or self.keys[-1]
        body = {
            "iss": ISSUER.issuer,
            "aud": "podium",
            "sub": "jane",
            "email": "jane@acme.example",
            "exp": NOW + 60,
            "session": {"roles": ["WORKFLOW_MANAGER", "NOT_A_ROLE"]},
            **claims,
        }
        header = {"alg": alg, "kid": key.kid} if key.kid else {"alg": alg}
        return jwt.encode(
            header, {k: v for k, v in body.items() if v is not None}, key, algorithms=[alg]
        )


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")


def verify(verifier: JwksVerifier, token: str, now: int = NOW) -> tuple[Principal, int]:
    return asyncio.run(verifier.verify(token, now))


@pytest.fixture
def idp() -> Issuer:
    return Issuer()


def test_a_valid_token_names_its_subject_and_known_roles(idp: Issuer) -> None:
    principal, expires = verify(JwksVerifier(ISSUER, idp.fetch), idp.token())
    assert principal == Principal("jane", "jane@acme.example", frozenset({"WORKFLOW_MANAGER"}))
    assert expires == NOW + 60


def test_roles_may_be_one_string_and_missing_roles_mean_none(idp: Issuer) -> None:
    verifier = JwksVerifier(ISSUER, idp.fetch)
    listed = idp.token(session={"roles": "ADMIN, USER"})
    assert verify(verifier, listed)[0].roles == {"ADMIN", "USER"}
    assert verify(verifier, idp.token(session=None))[0].roles == frozenset()


def test_an_expired_token_is_refused_as_expired(idp: Issuer) -> None:
    with pytest.raises(TokenExpired):
        verify(JwksVerifier(ISSUER, idp.fetch), idp.token(exp=NOW - 120))


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "https://evil.example/"},
        {"aud": "someone-else"},
        {"aud": ["a", "b"]},
        {"sub": None},
        {"exp": None},
        {"nbf": NOW + 600},
    ],
)
def test_a_token_for_another_issuer_audience_or_time_is_refused(
    idp: Issuer, claims: dict[str, Any]
) -> None:
    with pytest.raises(TokenInvalid):
        verify(JwksVerifier(ISSUER, idp.fetch), idp.token(**claims))


def test_a_token_of_a_key_the_issuer_never_published_is_refused(idp: Issuer) -> None:
    stranger = RSAKey.generate_key(2048, parameters={"kid": "k1"})  # same kid, other key
    unknown = RSAKey.generate_key(2048, parameters={"kid": "k9"})
    verifier = JwksVerifier(ISSUER, idp.fetch)
    for key in (stranger, unknown):
        with pytest.raises(TokenInvalid):
            verify(verifier, idp.token(key=key))


def test_after_a_key_rotation_new_tokens_verify_without_a_restart(idp: Issuer) -> None:
    verifier = JwksVerifier(ISSUER, idp.fetch, refetch_s=0)
    verify(verifier, idp.token())
    idp.rotate()
    assert verify(verifier, idp.token())[0].id == "jane"
    assert idp.fetches == 2


def test_unknown_key_ids_do_not_make_the_server_fetch_on_every_request(idp: Issuer) -> None:
    verifier = JwksVerifier(ISSUER, idp.fetch, refetch_s=30)
    verify(verifier, idp.token())
    unknown = RSAKey.generate_key(2048, parameters={"kid": "k9"})
    for _ in range(5):
        with pytest.raises(TokenInvalid):
            verify(verifier, idp.token(key=unknown))
    assert idp.fetches == 1


def test_alg_none_and_hmac_tokens_are_refused(idp: Issuer) -> None:
    verifier = JwksVerifier(ISSUER, idp.fetch)
    verify(verifier, idp.token())  # keys known
    claims = {"iss": ISSUER.issuer, "aud": "podium", "sub": "jane", "exp": NOW + 60}
    unsigned = f"{_b64({'alg': 'none', 'kid': 'k1'})}.{_b64(claims)}."
    # The classic confusion attack: HS256 with the issuer's public key as the HMAC secret.
    signing_input = f"{_b64({'alg': 'HS256', 'kid': 'k1'})}.{_b64(claims)}"
    public_pem = idp.keys[0].as_pem(private=False)
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    hmac_with_public_key = f"{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"
    other_curve = idp.token(key=ECKey.generate_key("P-256", parameters={"kid": "k1"}), alg="ES256")
    for token in (unsigned, hmac_with_public_key, other_curve):
        with pytest.raises(TokenInvalid):
            verify(verifier, token)


@pytest.mark.parametrize("garbage", ["", "x", "a.b.c", "e30.e30.", "\x00.\x01.\x02"])
def test_garbage_is_refused(idp: Issuer, garbage: str) -> None:
    with pytest.raises(TokenInvalid):
        verify(JwksVerifier(ISSUER, idp.fetch), garbage)


def test_an_unreachable_issuer_refuses_tokens_and_is_asked_again_later() -> None:
    calls = 0

    async def down(url: str) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        raise OSError("connection refused")

    verifier = JwksVerifier(ISSUER, down, refetch_s=0)
    for _ in range(2):
        with pytest.raises(TokenInvalid):
            verify(verifier, Issuer().token())
    assert calls == 2
