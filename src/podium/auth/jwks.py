"""Bearer JWTs from an external issuer (Oathkeeper's `id_token` mutator, Entra ID, Keycloak,
any OpenID Connect provider), verified against the issuer's published keys (JWKS).

Only asymmetric algorithms are accepted: `alg: none` and HMAC tokens (for instance one signed
with the issuer's *public* key as an HMAC secret) are refused. The key set is fetched on first
use and again when a token names a key id it does not hold (key rotation), at most once per
`refetch_s`.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from podium.auth.principals import ROLES, Principal, plain_text
from podium.auth.tokens import LEEWAY_S, TokenExpired, TokenInvalid

__all__ = ["ASYMMETRIC", "ExternalIssuer", "JwksVerifier", "principal_from"]

ASYMMETRIC = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]

Fetch = Callable[[str], Awaitable[dict[str, Any]]]
_MAX_GROUPS = 256  # a token naming more groups is cut short: each costs a lookup


@dataclass(frozen=True, slots=True)
class ExternalIssuer:
    """Whose tokens are accepted, and where their roles are."""

    jwks_url: str
    issuer: str
    audience: str
    roles_claim: str = "roles"
    """A claim, or a dotted path into nested claims (`session.identity.metadata_public.roles`),
    holding a list of role names or one string of them separated by spaces or commas."""
    groups_claim: str | None = None
    """Likewise for the groups the caller belongs to (None: the token names no groups)."""


class JwksVerifier:
    def __init__(self, issuer: ExternalIssuer, fetch: Fetch, *, refetch_s: float = 1.0) -> None:
        self.issuer = issuer
        self.fetch = fetch
        self.refetch_s = refetch_s
        self._keys: KeySet | None = None
        self._fetched_at = float("-inf")

    async def verify(self, token: str, now_s: int) -> tuple[Principal, int]:
        """The principal and expiry (epoch s) of a valid token from the issuer."""
        claims = await self.claims(token, now_s)
        principal = principal_from(claims, self.issuer.roles_claim, self.issuer.groups_claim)
        return principal, claims["exp"]

    async def claims(self, token: str, now_s: int) -> dict[str, Any]:
        """The claims of a valid token from the issuer (signature, iss, aud, sub, exp, nbf
        checked); TokenInvalid or TokenExpired otherwise."""
        kid = _header_kid(token)
        keys = await self._keys_with(kid)
        try:
            claims = jwt.decode(token, keys, algorithms=ASYMMETRIC).claims
        except (JoseError, ValueError, TypeError) as exc:
            raise TokenInvalid("the token is not valid") from exc
        self._check(claims, now_s)
        return claims

    def _check(self, claims: dict[str, Any], now_s: int) -> int:
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        expires, not_before = claims.get("exp"), claims.get("nbf", 0)
        if (
            claims.get("iss") != self.issuer.issuer
            or self.issuer.audience not in audiences
            or not isinstance(claims.get("sub"), str)
            or not claims["sub"]
            or not plain_text(claims["sub"])
            or not isinstance(expires, int)
            or not isinstance(not_before, int)
        ):
            raise TokenInvalid("the token is not valid here (issuer, audience or subject)")
        if not_before - LEEWAY_S > now_s:
            raise TokenInvalid("the token is not valid yet")
        if expires + LEEWAY_S < now_s:
            raise TokenExpired("the token has expired")
        return expires

    async def _keys_with(self, kid: str | None) -> KeySet:
        known = self._keys is not None and (kid is None or _holds(self._keys, kid))
        if known or time.monotonic() - self._fetched_at < self.refetch_s:
            if self._keys is None:
                raise TokenInvalid("the issuer's keys are not available")
            return self._keys
        self._fetched_at = time.monotonic()
        try:
            self._keys = KeySet.import_key_set(await self.fetch(self.issuer.jwks_url))  # type: ignore[arg-type]
        except Exception as exc:  # the issuer is away or answers garbage: refuse, retry later
            if self._keys is None:
                raise TokenInvalid("the issuer's keys could not be fetched") from exc
        return self._keys


def principal_from(
    claims: dict[str, Any], roles_claim: str, groups_claim: str | None = None
) -> Principal:
    """The person verified claims name: `sub`, a display name, known roles, and groups."""
    subject = claims["sub"]
    names = (claims.get(k) for k in ("email", "preferred_username", "name"))
    name = next((n for n in names if isinstance(n, str)), subject)
    roles = frozenset(_names(claims, roles_claim)) & ROLES
    groups = frozenset(_names(claims, groups_claim)[:_MAX_GROUPS] if groups_claim else ())
    return Principal(subject, name, roles, groups=groups)


def _header_kid(token: str) -> str | None:
    try:
        encoded = token.split(".", 1)[0]
        header = orjson.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, TypeError) as exc:  # binascii.Error and JSONDecodeError included
        raise TokenInvalid("the token is not valid") from exc
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


def _holds(keys: KeySet, kid: str) -> bool:
    try:
        keys.get_by_kid(kid)
    except (JoseError, ValueError, KeyError):
        return False
    return True


def _names(claims: dict[str, Any], path: str) -> list[str]:
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, str):
        return value.replace(",", " ").split()
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []
