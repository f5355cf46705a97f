"""The UI's signed cookies: a person's session, the state of a sign-in underway, and the
anti-forgery (CSRF) token of every state-changing form.

Both cookies are JWTs signed (HS256) with a key derived from the cluster's secret, so any node
accepts what another issued, and neither can be forged or altered by the browser. Their `typ`
claims keep them apart from each other and from API tokens: a session cookie is never accepted
as a bearer token, nor an API token as a session. The CSRF token is an HMAC of the session id:
a page of this server can print it, another site cannot know it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from podium.auth.oidc import LoginState
from podium.auth.principals import Principal
from podium.auth.tokens import LEEWAY_S, TokenExpired, TokenInvalid

__all__ = [
    "CSRF_FIELD",
    "LOGIN_COOKIE",
    "SESSION_COOKIES",
    "Session",
    "SessionCodec",
    "new_sid",
    "session_cookie_name",
]

SESSION_COOKIES = ("__Host-podium_session", "podium_session")
"""The session cookie's name over https (the `__Host-` prefix: Secure, whole site, this host
only) and over plain http (a loopback server during development)."""
LOGIN_COOKIE = "podium_login"
CSRF_FIELD = "csrf_token"
"""The hidden field of every state-changing form (the `X-CSRF-Token` header for scripts)."""
_SESSION, _LOGIN = "podium-ui-session", "podium-ui-login"
_SID = re.compile(r"[A-Za-z0-9_-]{16,64}")
"""What `new_sid` makes (with room to grow); anything else in a signed cookie is refused."""
LOGIN_TTL_S = 600
"""Seconds a person has to complete a sign-in at the identity provider."""


@dataclass(frozen=True, slots=True)
class Session:
    principal: Principal
    sid: str
    expires: int


@dataclass(frozen=True, slots=True)
class SessionCodec:
    secret: bytes

    def issue(self, principal: Principal, now_s: int, ttl_s: int, sid: str | None = None) -> str:
        """A session cookie for `ttl_s` seconds, with `sid` (a new random one when None)."""
        claims = {
            "typ": _SESSION,
            "sid": sid or new_sid(),
            "sub": principal.id,
            "name": principal.name,
            "roles": sorted(principal.roles),
            "groups": sorted(principal.groups),
            "iat": now_s,
            "exp": now_s + ttl_s,
        }
        return self._encode(claims)

    def session(self, cookie: str, now_s: int) -> Session:
        """The session a cookie holds; TokenInvalid / TokenExpired otherwise."""
        claims = self._decode(cookie, _SESSION, now_s)
        sub, name, sid = claims.get("sub"), claims.get("name"), claims.get("sid")
        roles, groups = claims.get("roles"), claims.get("groups")
        if not (isinstance(sub, str) and sub and isinstance(name, str)):
            raise TokenInvalid("the session is not valid")
        if not (isinstance(sid, str) and _SID.fullmatch(sid)):
            raise TokenInvalid("the session is not valid")
        if not (isinstance(roles, list) and isinstance(groups, list)):
            raise TokenInvalid("the session is not valid")
        principal = Principal(
            sub, name, frozenset(map(str, roles)), groups=frozenset(map(str, groups))
        )
        return Session(principal, sid, int(str(claims["exp"])))

    def csrf_token(self, sid: str) -> str:
        digest = hmac.new(self._key_bytes(), b"csrf:" + sid.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def csrf_ok(self, sid: str, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(self.csrf_token(sid), token)

    def login_cookie(self, login: LoginState, now_s: int) -> str:
        claims = {
            "typ": _LOGIN,
            "state": login.state,
            "nonce": login.nonce,
            "verifier": login.verifier,
            "next": login.next_path,
            "exp": now_s + LOGIN_TTL_S,
        }
        return self._encode(claims)

    def login(self, cookie: str, now_s: int) -> LoginState:
        claims = self._decode(cookie, _LOGIN, now_s)
        fields = [claims.get(k) for k in ("state", "nonce", "verifier", "next")]
        if not _strings(fields):
            raise TokenInvalid("the sign-in state is not valid")
        state, nonce, verifier, next_path = (str(f) for f in fields)
        return LoginState(state, nonce, verifier, next_path)

    def _encode(self, claims: dict[str, object]) -> str:
        key = OctKey.import_key(self._key_bytes())
        return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, key)

    def _decode(self, value: str, typ: str, now_s: int) -> dict[str, object]:
        try:
            key = OctKey.import_key(self._key_bytes())
            claims = jwt.decode(value, key, algorithms=["HS256"]).claims
        except (JoseError, ValueError, TypeError) as exc:
            raise TokenInvalid("the cookie is not valid") from exc
        expires = claims.get("exp")
        if claims.get("typ") != typ or not isinstance(expires, int):
            raise TokenInvalid("the cookie is not valid")
        if expires + LEEWAY_S < now_s:
            raise TokenExpired("the session has expired")
        return claims

    def _key_bytes(self) -> bytes:
        # A key of its own, derived from the cluster secret: API tokens' key stays separate.
        return hmac.new(self.secret, b"podium ui cookies", hashlib.sha256).digest()


def new_sid() -> str:
    """A new session id: 128 random bits."""
    return secrets.token_urlsafe(16)


def session_cookie_name(secure: bool) -> str:
    return SESSION_COOKIES[0] if secure else SESSION_COOKIES[1]


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)
