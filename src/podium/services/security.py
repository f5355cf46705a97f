"""Tokens for access keys (`POST /api/token`), who a token speaks for, and grants."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict

from podium.auth.jwks import JwksVerifier
from podium.auth.keys import hash_secret, new_secret, verify_secret
from podium.auth.limits import FailureLimiter
from podium.auth.principals import Principal
from podium.auth.sessions import Session, SessionCodec, new_sid
from podium.auth.tokens import TokenExpired, TokenInvalid, TokenSigner
from podium.errors import BadRequest, TooManyAttempts, Unauthenticated
from podium.services.access import subjects
from podium.services.context import GRANTS_CHANGED, ServiceContext
from podium.services.identities import BoundedCache, Identities
from podium.services.sessions import UiSessions
from podium.services.unit import announce, unit_of_work
from podium.store import JSON, Grant, Tx

__all__ = [
    "ACCESS",
    "TARGET_TYPES",
    "SecurityService",
    "granted_access",
    "remove_grants_of",
]

_SIGNING_SECRET = "token-signing-key"
_VERIFIED_CACHE = 4096  # tokens whose signature was checked, by token text
_BAD_CREDENTIALS = "Invalid access key id or secret"
_DUMMY_HASH = hash_secret(new_secret())
SUBJECT_TYPES = frozenset({"USER", "GROUP", "ROLE"})
TARGET_TYPES = frozenset(
    {
        "WORKFLOW_DEF",
        "TASK_DEF",
        "APPLICATION",
        "WORKFLOW_SCHEDULE",
        "EVENT_HANDLER",
        "SECRET_NAME",
        "ENV_VARIABLE",
        "TAG",
        "DOMAIN",
    }
)
ACCESS = frozenset({"READ", "CREATE", "UPDATE", "DELETE", "EXECUTE"})
_UNRESTRICTED = frozenset({"ADMIN", "UNRESTRICTED_WORKER"})


class SecurityService:
    """Creates applications and keys; issues and checks the cluster's tokens."""

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        token_ttl_s: int = 3600,
        external: JwksVerifier | None = None,
    ) -> None:
        self.ctx = ctx
        self.token_ttl_s = token_ttl_s
        self.external = external
        """Verifies bearer JWTs of an external issuer (None: only this cluster's tokens)."""
        self.limiter = FailureLimiter()
        self._signer: TokenSigner | None = None
        self.identities = Identities(ctx)
        self.ui_sessions = UiSessions(ctx)
        self._verified: OrderedDict[str, tuple[Principal, int]] = OrderedDict()
        self._executable: BoundedCache[Principal, frozenset[str]] = BoundedCache()
        ctx.wakeups.on(GRANTS_CHANGED, self._executable.clear)

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
        """The principal a token speaks for, with its roles as they stand now (`identify`);
        Unauthenticated when invalid or expired, or its application or key is gone."""
        now_s = self.ctx.clock() // 1000
        known = self._verified.get(token)
        if known is None:
            try:
                principal, expires = await self._verify(token, now_s)
            except TokenExpired as exc:
                raise Unauthenticated(str(exc), code="EXPIRED_TOKEN") from exc
            except TokenInvalid as exc:
                raise Unauthenticated(str(exc)) from exc
            known = self._remember(token, principal, expires)
        principal, expires = known
        if expires < now_s:
            self._verified.pop(token, None)
            raise Unauthenticated("the token has expired", code="EXPIRED_TOKEN")
        return await self.identify(principal)

    async def identify(self, claimed: Principal) -> Principal:
        """The principal with the roles and groups the store holds for it: an application's
        roles as stored now (Unauthenticated once it or its key is gone or inactive); a
        person's roles from their token, their user record and each of their groups."""
        return await self.identities.identify(claimed)

    async def _verify(self, token: str, now_s: int) -> tuple[Principal, int]:
        """This cluster's token, else (when configured) the external issuer's."""
        try:
            principal, _key_id, expires = (await self.signer()).verify(token, now_s)
        except TokenExpired:
            raise
        except TokenInvalid:
            if self.external is None:
                raise
            return await self.external.verify(token, now_s)
        return principal, expires

    async def sessions(self) -> SessionCodec:
        """Signs and reads the UI's cookies (with a key derived from the cluster's secret)."""
        return SessionCodec((await self.signer()).secret)

    async def start_session(self, principal: Principal, ttl_s: int) -> str:
        """A new UI session cookie for a person just signed in, recorded in the store."""
        codec = await self.sessions()
        now_s, sid = self.ctx.clock() // 1000, new_sid()
        await self.ui_sessions.record(sid, principal, now_s, now_s + ttl_s)
        return codec.issue(principal, now_s, ttl_s, sid)

    async def session(self, cookie: str) -> Session:
        """The UI session a cookie holds; Unauthenticated when invalid, expired or ended
        (signed out, or by an admin: the store no longer holds it open)."""
        codec = await self.sessions()
        try:
            session = codec.session(cookie, self.ctx.clock() // 1000)
        except TokenExpired as exc:
            raise Unauthenticated(str(exc), code="EXPIRED_TOKEN") from exc
        except TokenInvalid as exc:
            raise Unauthenticated(str(exc)) from exc
        if not await self.ui_sessions.is_open(session.sid):
            raise Unauthenticated("the session has ended")
        return session

    async def end_session(self, session: Session) -> None:
        """Sign-out: the session ends on every node at once."""
        await self.ui_sessions.end(session.sid)

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
        return Principal.of_application(app["id"], app["name"], frozenset(app["roles"]), key_id)

    def _remember(self, token: str, principal: Principal, expires: int) -> tuple[Principal, int]:
        self._verified[token] = (principal, expires)
        if len(self._verified) > _VERIFIED_CACHE:
            self._verified.popitem(last=False)
        return principal, expires

    # -- grants ------------------------------------------------------------------------------
    async def change_grants(self, body: object, *, grant: bool) -> None:
        """`POST` / `DELETE /api/auth/authorization`: add or remove `access` of `subject` on
        `target` (Orkes' body); every node sees the change at once."""
        grants = _grants_of(body)
        async with unit_of_work(self.ctx) as unit:
            if grant:
                await unit.tx.add_grants(grants)
            else:
                await unit.tx.remove_grants(grants)
        await announce(self.ctx, {GRANTS_CHANGED})

    async def grants_on(self, target_type: str, target_id: str) -> JSON:
        """`{access: [subject, ...]}` of one target."""
        async with unit_of_work(self.ctx) as unit:
            grants = await unit.tx.grants_on_target(target_type, target_id)
        out: JSON = {}
        for g in grants:
            out.setdefault(g.access, []).append({"type": g.subject_type, "id": g.subject_id})
        return out

    async def may_execute(self, principal: Principal, task_type: str) -> bool:
        """Whether the principal may work on tasks of this type: ADMIN and
        UNRESTRICTED_WORKER on all, others with EXECUTE on the TASK_DEF (granted to it, to
        one of its roles or to one of its groups)."""
        types = await self.executable(principal)
        return types is None or task_type in types

    async def executable(self, principal: Principal) -> frozenset[str] | None:
        """The task types the principal may work on; None: every type."""
        if principal.roles & _UNRESTRICTED:
            return None
        found, types = self._executable.get(principal)
        if not found or types is None:
            types = await self._executable_types(principal)
            self._executable.put(principal, types)
        return types

    async def _executable_types(self, principal: Principal) -> frozenset[str]:
        # A plain transaction: a read must not carry the audit record of the request served.
        async with self.ctx.store.transaction() as tx:
            grants = [g for s in subjects(principal) for g in await tx.grants_of_subject(*s)]
        return frozenset(
            g.target_id for g in grants if g.target_type == "TASK_DEF" and g.access == "EXECUTE"
        )


def _grants_of(body: object) -> list[Grant]:
    """The grants an Orkes authorization request names; BadRequest when it is malformed."""
    if not isinstance(body, dict):
        raise BadRequest("The body must be {subject, target, access}")
    subject, target, access = body.get("subject"), body.get("target"), body.get("access")
    if not isinstance(subject, dict) or not isinstance(target, dict):
        raise BadRequest("subject and target must be objects with a type and an id")
    kinds = (subject.get("type"), target.get("type"))
    ids = (subject.get("id"), target.get("id"))
    if not all(isinstance(v, str) and v for v in (*kinds, *ids)):
        raise BadRequest("subject and target need a non-empty type and id")
    if kinds[0] not in SUBJECT_TYPES:
        raise BadRequest(f"subject type must be one of {sorted(SUBJECT_TYPES)}")
    if kinds[1] not in TARGET_TYPES:
        raise BadRequest(f"target type must be one of {sorted(TARGET_TYPES)}")
    if not isinstance(access, list) or not access or not set(access) <= ACCESS:
        raise BadRequest(f"access must be a non-empty list of {sorted(ACCESS)}")
    s_type, t_type, s_id, t_id = str(kinds[0]), str(kinds[1]), str(ids[0]), str(ids[1])
    return [Grant(s_type, s_id, t_type, t_id, str(a)) for a in sorted(set(access))]


async def remove_grants_of(tx: Tx, subject_type: str, subject_id: str) -> None:
    """Remove every grant of one subject (a deleted application, user or group)."""
    await tx.remove_grants(await tx.grants_of_subject(subject_type, subject_id))


def granted_access(grants: list[Grant]) -> JSON:
    """Orkes' `{"grantedAccess": [{"target": {type, id}, "access": [...]}]}` of some grants,
    one entry per target."""
    by_target: dict[tuple[str, str], set[str]] = {}
    for g in grants:
        by_target.setdefault((g.target_type, g.target_id), set()).add(g.access)
    return {
        "grantedAccess": [
            {"target": {"type": t, "id": i}, "access": sorted(access)}
            for (t, i), access in sorted(by_target.items())
        ]
    }
