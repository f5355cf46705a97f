"""Signing people in to the UI with OpenID Connect: the authorization code flow with PKCE.

The server is a confidential client of the configured issuer (Entra ID, Keycloak, Kratos via
Hydra, any OpenID provider). A sign-in has two legs: `begin` makes a fresh state, nonce and
PKCE verifier and the address to send the browser to; `finish` checks the state that came
back, trades the code (with the verifier) for tokens at the issuer's token endpoint, and
verifies the ID token: signature against the issuer's JWKS, issuer, audience (the client id),
expiry, and the nonce. Protocol details (PKCE challenge, request parameters, checking the
callback and the discovery document) are authlib's; the HTTP calls are injected.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import parse_authorization_code_response, prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.discovery import OpenIDProviderMetadata

from podium.auth.jwks import ExternalIssuer, JwksVerifier, principal_from
from podium.auth.principals import Principal
from podium.auth.tokens import TokenInvalid

__all__ = ["LoginState", "OidcClient", "OidcProvider", "SignInFailed"]

FetchJson = Callable[[str], Awaitable[dict[str, Any]]]
PostForm = Callable[[str, Mapping[str, str], tuple[str, str]], Awaitable[dict[str, Any]]]
"""POST a form to a URL with HTTP Basic client credentials; the JSON answer."""

_DISCOVERY = "/.well-known/openid-configuration"
_METADATA_TTL_S = 3600.0


class SignInFailed(Exception):
    """The sign-in cannot complete; the message is safe to show (it names no secret)."""


@dataclass(frozen=True, slots=True)
class OidcProvider:
    """The issuer the UI signs people in with, and this server's registration there."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: str = "openid email profile"
    roles_claim: str = "roles"
    groups_claim: str = "groups"


@dataclass(frozen=True, slots=True)
class LoginState:
    """What the browser carries (signed) between leaving for the issuer and coming back."""

    state: str
    nonce: str
    verifier: str
    next_path: str


class OidcClient:
    def __init__(self, provider: OidcProvider, fetch_json: FetchJson, post_form: PostForm) -> None:
        self.provider = provider
        self.fetch_json = fetch_json
        self.post_form = post_form
        self._metadata: OpenIDProviderMetadata | None = None
        self._metadata_at = float("-inf")
        self._verifier: JwksVerifier | None = None

    async def begin(self, redirect_uri: str, next_path: str) -> tuple[str, LoginState]:
        """The issuer's authorization address for a new sign-in, and its state to keep."""
        meta = await self.metadata()
        login = LoginState(generate_token(32), generate_token(32), generate_token(64), next_path)
        url = prepare_grant_uri(
            str(meta["authorization_endpoint"]),
            self.provider.client_id,
            "code",
            redirect_uri=redirect_uri,
            scope=self.provider.scopes,
            state=login.state,
            nonce=login.nonce,
            code_challenge=create_s256_code_challenge(login.verifier),  # type: ignore[no-untyped-call]
            code_challenge_method="S256",
        )
        return url, login

    async def finish(
        self, callback_url: str, redirect_uri: str, login: LoginState, now_s: int
    ) -> Principal:
        """The person the issuer vouches for; SignInFailed on any mismatch."""
        try:
            params = parse_authorization_code_response(callback_url, state=login.state)
        except AuthlibBaseError as exc:
            raise SignInFailed("the sign-in answer does not match this sign-in") from exc
        meta = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": str(params["code"]),
            "redirect_uri": redirect_uri,
            "code_verifier": login.verifier,
        }
        credentials = (self.provider.client_id, self.provider.client_secret)
        try:
            tokens = await self.post_form(str(meta["token_endpoint"]), form, credentials)
        except Exception as exc:  # the issuer refused the code or is away
            raise SignInFailed("the identity provider did not accept the sign-in") from exc
        id_token = tokens.get("id_token") if isinstance(tokens, dict) else None
        if not isinstance(id_token, str):
            raise SignInFailed("the identity provider sent no ID token")
        verifier = self._id_token_verifier(meta)
        try:
            claims = await verifier.claims(id_token, now_s)
        except TokenInvalid as exc:
            raise SignInFailed("the ID token is not valid") from exc
        if claims.get("nonce") != login.nonce:
            raise SignInFailed("the ID token belongs to another sign-in")
        return principal_from(claims, self.provider.roles_claim, self.provider.groups_claim)

    async def metadata(self) -> OpenIDProviderMetadata:
        """The issuer's discovery document (fetched on first use, then hourly)."""
        if self._metadata is None or time.monotonic() - self._metadata_at > _METADATA_TTL_S:
            url = self.provider.issuer.rstrip("/") + _DISCOVERY
            try:
                meta = OpenIDProviderMetadata(await self.fetch_json(url))
                meta.validate()
            except Exception as exc:
                raise SignInFailed("the identity provider's configuration is unavailable") from exc
            if meta["issuer"] != self.provider.issuer:
                raise SignInFailed("the identity provider names another issuer")
            self._metadata, self._metadata_at = meta, time.monotonic()
            self._verifier = None
        return self._metadata

    def _id_token_verifier(self, meta: OpenIDProviderMetadata) -> JwksVerifier:
        if self._verifier is None:
            issuer = ExternalIssuer(
                str(meta["jwks_uri"]),
                self.provider.issuer,
                self.provider.client_id,
                self.provider.roles_claim,
            )
            self._verifier = JwksVerifier(issuer, self.fetch_json)
        return self._verifier
