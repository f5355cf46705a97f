"""Identity headers of a trusted reverse proxy (`--trusted-proxy`, Oathkeeper's `header`
mutator): believed from the proxy's addresses only, dropped from everyone else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from podium.config import Settings
from podium.server import build_app
from tests.api.test_auth import app_and_token

PROXY = ("10.1.2.3", 40000)
STRANGER = ("192.0.2.7", 40000)


@pytest.fixture
def settings(database: str) -> Settings:
    return Settings(db=database, auth=True, trusted_proxy=("10.1.0.0/16", "127.0.0.1"))


@pytest.fixture
def proxy(settings: Settings) -> Iterator[TestClient]:
    with TestClient(build_app(settings), client=PROXY, raise_server_exceptions=False) as c:
        yield c


def test_the_proxy_names_the_caller_and_its_roles(proxy: TestClient) -> None:
    jane = {
        "X-User": "kratos-7",
        "X-User-Email": "jane@acme.example",
        "X-User-Roles": "METADATA_MANAGER, BOSS",
    }
    me = proxy.get("/api/token/userInfo", headers=jane).json()
    assert (me["id"], me["name"], me["roles"], me["applicationUser"]) == (
        "kratos-7",
        "jane@acme.example",
        [{"name": "METADATA_MANAGER"}],
        False,
    )
    definition = {
        "name": "proxied",
        "version": 1,
        "tasks": [{"name": "t", "taskReferenceName": "t"}],
    }
    assert proxy.post("/api/metadata/workflow", json=definition, headers=jane).status_code == 200
    assert proxy.post("/api/workflow/proxied", json={}, headers=jane).status_code == 403
    audit = proxy.get("/api/audit", headers={"X-User": "ops", "X-User-Roles": "ADMIN"}).json()
    assert [r["principal"] for r in audit["results"]] == ["kratos-7", "kratos-7"]


def test_without_identity_headers_the_proxy_passes_tokens_through(proxy: TestClient) -> None:
    assert proxy.get("/api/metadata/taskdefs").status_code == 401
    _app, token = app_and_token(proxy, "READ_ONLY_USER")
    assert (
        proxy.get("/api/metadata/taskdefs", headers={"X-Authorization": token}).status_code == 200
    )


def test_identity_headers_from_anyone_else_are_dropped(settings: Settings) -> None:
    with TestClient(build_app(settings), client=STRANGER, raise_server_exceptions=False) as c:
        forged = {"X-User": "admin", "X-User-Roles": "ADMIN"}
        answer = c.get("/api/metadata/taskdefs", headers=forged)
        assert answer.status_code == 401
        assert answer.json()["error"] == "INVALID_TOKEN"
        _app, token = app_and_token(c, "WORKER")
        as_worker = {**forged, "X-Authorization": token}
        assert c.get("/api/event", headers=as_worker).status_code == 403
        me = c.get("/api/token/userInfo", headers=as_worker).json()
        assert me["roles"] == [{"name": "WORKER"}]


@pytest.mark.parametrize(
    "headers",
    [
        {"X-User": ""},
        {"X-User": "   "},
        {"X-User": "a" * 5000, "X-User-Roles": "ADMIN"},
        {"X-User-Roles": "ADMIN"},
        {"X-User": b"\xff\xfe"},
    ],
)
def test_malformed_identity_headers_grant_nothing(
    proxy: TestClient, headers: dict[str, str | bytes]
) -> None:
    answer = proxy.get("/api/event", headers=headers)
    assert answer.status_code in (401, 403), answer.text


@pytest.mark.parametrize("user", [b"ops\x00", b"ops\nadmin", b"\x1b[31mops"])
def test_an_identity_with_control_characters_names_nobody(proxy: TestClient, user: bytes) -> None:
    # A NUL once reached PostgreSQL in the audit record and the request failed with a 500.
    definition = {"name": "odd", "version": 1, "tasks": [{"name": "t", "taskReferenceName": "t"}]}
    answer = proxy.post(
        "/api/metadata/workflow", json=definition, headers={"X-User": user, "X-User-Roles": "ADMIN"}
    )
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "INVALID_TOKEN"


def test_behind_the_proxy_the_audit_names_the_forwarded_client(proxy: TestClient) -> None:
    admin = {"X-User": "ops", "X-User-Roles": "ADMIN"}
    through = {**admin, "X-Forwarded-For": "6.6.6.6, 203.0.113.9, 10.1.7.7"}
    assert proxy.post("/api/workflow/nothing_here", json={}, headers=through).status_code == 404
    [record] = proxy.get("/api/audit", headers=admin).json()["results"]
    assert record["address"] == "203.0.113.9"


def test_behind_the_proxy_token_failures_count_per_forwarded_client(proxy: TestClient) -> None:
    def attempt(client: str, n: int) -> int:
        body = {"keyId": f"no-such-key-{client}-{n}", "keySecret": "guess"}
        headers = {"X-Forwarded-For": client}
        return int(proxy.post("/api/token", json=body, headers=headers).status_code)

    assert [attempt("203.0.113.9", n) for n in range(5)] == [401] * 5
    assert attempt("203.0.113.9", 5) == 429
    assert attempt("198.51.100.4", 0) == 401  # someone else behind the same proxy


def test_a_forwarded_header_from_anyone_else_is_ignored(settings: Settings) -> None:
    with TestClient(build_app(settings), client=STRANGER, raise_server_exceptions=False) as c:
        _app, token = app_and_token(c, "ADMIN")
        statuses = [
            c.post(
                "/api/token",
                json={"keyId": f"no-such-key-{n}", "keySecret": "guess"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},  # a new address every time
            ).status_code
            for n in range(6)
        ]
        assert statuses == [401] * 5 + [429]
        admin = {"X-Authorization": token, "X-Forwarded-For": "203.0.113.9"}
        assert c.post("/api/workflow/nothing_here", json={}, headers=admin).status_code == 404
        [record] = c.get("/api/audit", headers=admin).json()["results"]
        assert record["address"] == STRANGER[0]
