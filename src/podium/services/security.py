"""Applications, their access keys, and the tokens they trade them for (`POST /api/token`)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict

from podium.auth.keys import hash_secret, new_secret, verify_secret
from podium.auth.limits import FailureLimiter
from podium.auth.principals import ROLES, Principal
from podium.auth.tokens import TokenExpired, TokenInvalid, TokenSigner
from podium.errors import BadRequest, NotFound, TooManyAttempts, Unauthenticated
from podium.services.context import ServiceContext
from podium.services.unit import unit_of_work
from podium.store import JSON

__all__ = ["SecurityService"]

_SIGNING_SECRET = "token-signing-key"
_VERIFIED_CACHE = 4096  # tokens whose signature was checked, by token text
_BAD_CREDENTIALS = "Invalid access key id or secret"
_DUMMY_HASH = hash_secret(new_secret())


class SecurityService:
    """Creates applications and keys; issues and checks the cluster's tokens."""

    def __init__(self, ctx: ServiceContext, *, token_ttl_s: int = 3600) -> None:
        self.ctx = ctx
        self.token_ttl_s = token_ttl_s
        self.limiter = FailureLimiter()
        self._signer: TokenSigner | None = None
        self._verified: OrderedDict[str, tuple[Principal, int]] = OrderedDict()

    async def create_application(self, name: str, roles: list[str], *, actor: str) -> JSON:
        if not name.strip():
            raise BadRequest("An application needs a name")
        unknown = sorted(set(roles) - ROLES)
        if unknown:
            raise BadRequest(f"Unknown roles: {', '.join(unknown)}; known: {sorted(ROLES)}")
        now = self.ctx.clock()
        app = {
            "id": self.ctx.new_id(),
            "name": name.strip(),
            "roles": sorted(set(roles)),
            "createdBy": actor,
            "createTime": now,
            "updatedBy": actor,
            "updateTime": now,
        }
        async with unit_of_work(self.ctx) as unit:
            await unit.tx.put_application(app)
        return app

    async def create_access_key(self, app_id: str) -> JSON:
        """A new key of the application: `{"id", "secret"}`, the only time the secret is seen."""
        secret = new_secret()
        key = {
            "id": secrets.token_hex(16),
            "applicationId": app_id,
            "secretHash": await asyncio.to_thread(hash_secret, secret),
            "status": "ACTIVE",
            "createdAt": self.ctx.clock(),
        }
        async with unit_of_work(self.ctx) as unit:
            if await unit.tx.get_application(app_id) is None:
                raise NotFound(f"No such application: {app_id}")
            await unit.tx.put_access_key(key)
        return {"id": key["id"], "secret": secret}

    async def issue_token(self, key_id: str, secret: str, client: str) -> str:
        """A token for the application owning the key; refused (and counted against the
        caller's address and the key id) unless the key is active and the secret right."""
        keys = [f"addr:{client}", f"key:{key_id}"]
        wait = self.limiter.retry_after(keys, time.monotonic())
        if wait > 0:
            raise TooManyAttempts(retry_after_s=int(wait) + 1)
        principal = await self._check_key(key_id, secret)
        if principal is None:
            self.limiter.failed(keys, time.monotonic())
            raise Unauthenticated(_BAD_CREDENTIALS)
        signer = await self.signer()
        return signer.issue(principal, key_id, self.ctx.clock() // 1000, self.token_ttl_s)

    async def authenticate(self, token: str) -> Principal:
        """The principal a token speaks for; Unauthenticated when invalid or expired."""
        now_s = self.ctx.clock() // 1000
        known = self._verified.get(token)
        if known is None:
            try:
                principal, _key_id, expires = (await self.signer()).verify(token, now_s)
            except TokenExpired as exc:
                raise Unauthenticated(str(exc), code="EXPIRED_TOKEN") from exc
            except TokenInvalid as exc:
                raise Unauthenticated(str(exc)) from exc
            known = self._remember(token, principal, expires)
        principal, expires = known
        if expires < now_s:
            self._verified.pop(token, None)
            raise Unauthenticated("the token has expired", code="EXPIRED_TOKEN")
        return principal

    async def signer(self) -> TokenSigner:
        """The cluster's token signer (its secret made by the first node that needed it)."""
        if self._signer is None:
            async with unit_of_work(self.ctx) as unit:
                secret = await unit.tx.server_secret(_SIGNING_SECRET, secrets.token_bytes(32))
            self._signer = TokenSigner(secret)
        return self._signer

    async def _check_key(self, key_id: str, secret: str) -> Principal | None:
        async with unit_of_work(self.ctx) as unit:
            key = await unit.tx.get_access_key(key_id)
            app = await unit.tx.get_application(key["applicationId"]) if key else None
        # scrypt runs in a thread (it takes tens of milliseconds), and runs for unknown keys
        # too, so that the answer's timing does not tell which key ids exist.
        stored = str(key["secretHash"]) if key else _DUMMY_HASH
        matches = await asyncio.to_thread(verify_secret, secret, stored)
        if not matches or key is None or app is None or key.get("status") != "ACTIVE":
            return None
        return Principal.of_application(app["id"], app["name"], frozenset(app["roles"]))

    def _remember(self, token: str, principal: Principal, expires: int) -> tuple[Principal, int]:
        self._verified[token] = (principal, expires)
        if len(self._verified) > _VERIFIED_CACHE:
            self._verified.popitem(last=False)
        return principal, expires
