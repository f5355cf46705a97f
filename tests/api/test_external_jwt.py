"""Bearer JWTs of an external issuer (`--jwt-*`): Oathkeeper's `id_token` mutator, Entra ID or
Keycloak in front of Podium. The keys come from a JWKS endpoint served by the test."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from podium.config import Settings
from podium.server import build_app
from tests.api.test_auth import app_and_token
from tests.support.server import wait_for

ISSUER = "http://oathkeeper.test/"
AUDIENCE = "podium"


class Jwks:
    """An identity provider's signing key, its JWKS served over HTTP, and how often asked."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.requests = 0
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                jwks.requests += 1
                body = orjson.dumps(KeySet([jwks.key]).as_dict(private=False))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def rotate(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k2"})

    def token(self, clock_s: int, **claims: Any) -> str:
        body = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "kratos-identity-7",
            "exp": clock_s + 60,
            "session": {"identity": {"traits": {"email": "jane@acme.example"}}, "roles": []},
            **claims,
        }
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, body, self.key)


@pytest.fixture
def idp() -> Iterator[Jwks]:
    jwks = Jwks()
    yield jwks
    jwks.server.shutdown()
    jwks.server.server_close()


@pytest.fixture
def client(database: str, idp: Jwks) -> Iterator[TestClient]:
    settings = Settings(
        db=database,
        auth=True,
        jwt_jwks_url=idp.url,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        jwt_roles_claim="session.roles",
    )
    with TestClient(build_app(settings), raise_server_exceptions=False) as c:
        yield c


def now_s(client: TestClient) -> int:
    clock = client.app.state.services.ctx.clock  # type: ignore[attr-defined]
    return int(clock() // 1000)


def get_event_handlers(client: TestClient, token: str) -> int:
    answer = client.get("/api/event", headers={"Authorization": f"Bearer {token}"})
    return int(answer.status_code)


def test_an_issuer_token_acts_with_the_roles_its_claims_name(client: TestClient, idp: Jwks) -> None:
    now = now_s(client)
    manager = idp.token(now, session={"roles": ["METADATA_MANAGER"]})
    assert get_event_handlers(client, manager) == 200
    me = client.get("/api/token/userInfo", headers={"Authorization": f"Bearer {manager}"}).json()
    assert (me["id"], me["roles"], me["applicationUser"]) == (
        "kratos-identity-7",
        [{"name": "METADATA_MANAGER"}],
        False,
    )
    nobody = idp.token(now, sub="someone-else")
    assert get_event_handlers(client, nobody) == 403  # authenticated, but no role reads metadata


@pytest.mark.parametrize(
    ("claims", "error"),
    [
        ({"iss": "http://evil.test/"}, "INVALID_TOKEN"),
        ({"aud": "another-service"}, "INVALID_TOKEN"),
        ({"exp": 1_000}, "EXPIRED_TOKEN"),
        ({"sub": "kratos\x00-7"}, "INVALID_TOKEN"),  # once a 500 on PostgreSQL (the audit)
    ],
)
def test_a_token_for_someone_else_or_out_of_date_is_refused(
    client: TestClient, idp: Jwks, claims: dict[str, Any], error: str
) -> None:
    token = idp.token(now_s(client), session={"roles": ["ADMIN"]}, **claims)
    answer = client.get("/api/event", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    assert answer.json()["error"] == error


def test_the_issuer_may_rotate_its_key(client: TestClient, idp: Jwks) -> None:
    now = now_s(client)
    assert get_event_handlers(client, idp.token(now, session={"roles": ["ADMIN"]})) == 200
    idp.rotate()
    rotated = idp.token(now, session={"roles": ["ADMIN"]})
    # The new key is fetched on the first token naming it (at most once a second).
    wait_for(lambda: get_event_handlers(client, rotated) == 200, 5, "the rotated key to be fetched")
    assert 2 <= idp.requests <= 4


def test_access_keys_keep_working_beside_the_issuer(client: TestClient) -> None:
    from tests.api.test_auth import app_and_token

    _app, token = app_and_token(client, "ADMIN")
    assert get_event_handlers(client, token) == 200


def test_a_token_naming_groups_holds_their_stored_roles_and_its_user_records(
    database: str, idp: Jwks
) -> None:
    settings = Settings(
        db=database,
        auth=True,
        jwt_jwks_url=idp.url,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        jwt_roles_claim="session.roles",
        jwt_groups_claim="session.groups",
    )
    with TestClient(build_app(settings), raise_server_exceptions=False) as client:
        admin = {"X-Authorization": app_and_token(client, "ADMIN")[1]}
        group = {"roles": ["METADATA_MANAGER"]}
        assert client.put("/api/groups/designers", json=group, headers=admin).status_code == 200
        now = now_s(client)
        designer = idp.token(now, session={"roles": [], "groups": "designers,visitors"})
        assert get_event_handlers(client, designer) == 200
        me = client.get("/api/token/userInfo", headers={"Authorization": f"Bearer {designer}"})
        assert me.json()["roles"] == [{"name": "METADATA_MANAGER"}]
        assert me.json()["groups"] == [{"id": "designers"}, {"id": "visitors"}]
        outsider = idp.token(now, sub="someone-else", session={"groups": ["visitors"]})
        assert get_event_handlers(client, outsider) == 403
        # A user record's roles count too, from the next request on.
        user = {"name": "Other", "roles": ["READ_ONLY_USER"]}
        assert client.put("/api/users/someone-else", json=user, headers=admin).status_code == 200
        assert get_event_handlers(client, outsider) == 200
        # A deleted group's roles are gone at once.
        assert client.delete("/api/groups/designers", headers=admin).status_code == 200
        assert get_event_handlers(client, designer) == 403


def test_without_a_groups_claim_configured_a_token_names_no_groups(
    client: TestClient, idp: Jwks
) -> None:
    admin = {"X-Authorization": app_and_token(client, "ADMIN")[1]}
    group = {"roles": ["METADATA_MANAGER"]}
    assert client.put("/api/groups/designers", json=group, headers=admin).status_code == 200
    designer = idp.token(now_s(client), groups=["designers"], session={"groups": ["designers"]})
    assert get_event_handlers(client, designer) == 403
