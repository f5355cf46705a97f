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
        assert c.get("/api/metadata/taskdefs", headers=as_worker).status_code == 403
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
    answer = proxy.get("/api/metadata/taskdefs", headers=headers)
    assert answer.status_code in (401, 403), answer.text
