"""The tokens `POST /api/token` hands out: JWTs signed with the cluster's own secret.

HS256 with a 256-bit secret every node reads from the shared database, so a token issued by
one node is accepted by all. Only HS256 is accepted when verifying: `alg: none` and tokens
signed with any other algorithm are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from podium.auth.principals import Principal

__all__ = ["ISSUER", "TokenExpired", "TokenInvalid", "TokenSigner"]

ISSUER = "podium"
_ALGORITHMS = ["HS256"]
LEEWAY_S = 30
"""Clock skew tolerated between the nodes that issue and check a token."""


class TokenInvalid(Exception):
    """Not a token this cluster issued (bad signature, malformed, wrong issuer)."""


class TokenExpired(TokenInvalid):
    """A token this cluster issued whose time is up: the SDKs then ask for a new one."""


@dataclass(frozen=True, slots=True)
class TokenSigner:
    """Issues and verifies the cluster's tokens with one secret."""

    secret: bytes

    def issue(self, principal: Principal, key_id: str, now_s: int, ttl_s: int) -> str:
        claims = {
            "iss": ISSUER,
            "sub": principal.id,
            "name": principal.name,
            "roles": sorted(principal.roles),
            "kid": key_id,
            "iat": now_s,
            "exp": now_s + ttl_s,
        }
        return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, self._key())

    def verify(self, token: str, now_s: int) -> tuple[Principal, str, int]:
        """The principal, the access key id and the expiry (epoch s) of a valid token."""
        try:
            claims = jwt.decode(token, self._key(), algorithms=_ALGORITHMS).claims
        except (JoseError, ValueError, TypeError) as exc:
            raise TokenInvalid("the token is not valid") from exc
        subject, key_id, expires = claims.get("sub"), claims.get("kid"), claims.get("exp")
        roles = claims.get("roles")
        if (
            claims.get("iss") != ISSUER
            or not isinstance(subject, str)
            or not subject.startswith("app:")
            or not isinstance(key_id, str)
            or not isinstance(expires, int)
            or not isinstance(roles, list)
        ):
            raise TokenInvalid("the token is not valid")
        if expires + LEEWAY_S < now_s:
            raise TokenExpired("the token has expired")
        name = claims.get("name")
        principal = Principal.of_application(
            subject.removeprefix("app:"),
            name if isinstance(name, str) else subject,
            frozenset(str(r) for r in roles),
            key_id,
        )
        return principal, key_id, expires

    def _key(self) -> OctKey:
        return OctKey.import_key(self.secret)
