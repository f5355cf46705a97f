"""A small OpenID Connect provider for tests, served over real HTTP on a free port.

It implements what Podium's sign-in relies on, strictly: discovery, the authorization endpoint
(registered client and exact redirect address, `response_type=code`, `openid` scope, PKCE with
S256 required), the token endpoint (client secret over HTTP Basic, single-use codes bound to
their redirect address, the PKCE verifier checked), RS256 ID tokens carrying the nonce, and the
JWKS. Who signs in is set by the test (`provider.person`), as if already signed in there.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import orjson
from joserfc import jwt
from joserfc.jwk import RSAKey

__all__ = ["OidcProvider", "oidc_provider"]


@dataclass
class _Code:
    challenge: str
    redirect_uri: str
    nonce: str | None
    claims: dict[str, Any]


@dataclass
class OidcProvider:
    client_id: str
    client_secret: str
    redirect_uri: str
    url: str = ""
    person: dict[str, Any] = field(default_factory=dict)
    """The claims of whoever is signed in at the provider (at least `sub`)."""
    deny: bool = False
    """Answer the next authorization request with `error=access_denied`."""
    id_token_overrides: dict[str, Any] = field(default_factory=dict)
    """Claims forced into the ID tokens (a wrong `nonce`, `aud`, `iss`, `exp`...)."""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "k1"}))
    codes: dict[str, _Code] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)

    @property
    def issuer(self) -> str:
        return self.url

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self.authorize_requests.append(query)
        if query.get("client_id") != self.client_id:
            return 400, {}, b"unknown client"
        if query.get("redirect_uri") != self.redirect_uri:
            return 400, {}, b"redirect address not registered"
        back = self.redirect_uri + "?"
        state = {"state": query["state"]} if "state" in query else {}
        if query.get("response_type") != "code" or "openid" not in query.get("scope", "").split():
            return 302, {"Location": back + urlencode({"error": "invalid_request", **state})}, b""
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return 302, {"Location": back + urlencode({"error": "invalid_request", **state})}, b""
        if self.deny:
            return 302, {"Location": back + urlencode({"error": "access_denied", **state})}, b""
        code = secrets.token_urlsafe(16)
        self.codes[code] = _Code(
            query["code_challenge"], self.redirect_uri, query.get("nonce"), dict(self.person)
        )
        return 302, {"Location": back + urlencode({"code": code, **state})}, b""

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, Any]:
        self.token_requests.append(form)
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if authorization != f"Basic {expected}":
            return 401, {"error": "invalid_client"}
        found = self.codes.pop(form.get("code", ""), None)  # single use
        if form.get("grant_type") != "authorization_code" or found is None:
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != found.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != found.challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verifier"}
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            **({"nonce": found.nonce} if found.nonce else {}),
            **found.claims,
            **self.id_token_overrides,
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
        return 200, {
            "access_token": secrets.token_urlsafe(16),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}


@contextmanager
def oidc_provider(redirect_uri: str) -> Iterator[OidcProvider]:
    """A provider on 127.0.0.1 with one registered client (`podium-ui`)."""
    provider = OidcProvider("podium-ui", secrets.token_urlsafe(24), redirect_uri)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/.well-known/openid-configuration":
                self._json(200, provider.discovery())
            elif parts.path == "/jwks":
                self._json(200, provider.jwks())
            elif parts.path == "/authorize":
                status, headers, body = provider.authorize(query)
                self._send(status, headers, body)
            else:
                self._send(404, {}, b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length).decode()
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            if urlsplit(self.path).path == "/token":
                self._json(*provider.token(form, self.headers.get("Authorization")))
            else:
                self._send(404, {}, b"")

        def _json(self, status: int, body: Any) -> None:
            self._send(status, {"Content-Type": "application/json"}, orjson.dumps(body))

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
