"""UI sessions recorded server-side: signing out ends a session for real (a copied cookie is
refused), an admin lists and ends a person's sessions, deleting a user ends theirs, and on
PostgreSQL a sign-out through one node refuses the cookie on another at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from podium.config import Settings
from podium.server import build_app
from tests.api.test_auth import app_and_token
from tests.api.test_ui_signin import CALLBACK, csrf_of, sign_in
from tests.support.oidc_provider import OidcProvider, oidc_provider
from tests.support.postgres import postgres_database
from tests.support.server import wait_for

ERIN = {"sub": "erin", "email": "erin@example.com", "roles": ["READ_ONLY_USER"]}


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    with oidc_provider(CALLBACK) as p:
        p.person = dict(ERIN)
        yield p


def _app(database: str, provider: OidcProvider) -> TestClient:
    settings = Settings(
        db=database,
        auth=True,
        oidc_issuer=provider.issuer,
        oidc_client_id=provider.client_id,
        oidc_client_secret=provider.client_secret,
    )
    return TestClient(build_app(settings), raise_server_exceptions=False)


@pytest.fixture
def client(tmp_path: Path, provider: OidcProvider) -> Iterator[TestClient]:
    with _app(f"sqlite:///{tmp_path / 'ui.db'}", provider) as c:
        yield c


@pytest.fixture
def admin(client: TestClient) -> dict[str, str]:
    _app_id, token = app_and_token(client, "ADMIN", "root")
    return {"X-Authorization": token}


def refused(client: TestClient, cookie: str) -> bool:
    """Whether a browser holding only this cookie is refused, by pages and by the API."""
    client.cookies.clear()
    client.cookies.set("podium_session", cookie)
    page = client.get("/ui/", follow_redirects=False)
    api = client.get("/api/metadata/workflow")
    if page.status_code == 200 and api.status_code == 200:
        return False
    assert page.status_code == 303
    assert page.headers["location"].startswith("/ui/login?next=")
    assert api.status_code == 401
    assert api.json()["error"] == "INVALID_TOKEN"
    return True


def test_a_copied_cookie_is_refused_once_its_session_signed_out(client: TestClient) -> None:
    sign_in(client)
    copied = client.cookies["podium_session"]
    assert not refused(client, copied)
    out = client.post("/ui/logout", data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert out.status_code == 303
    assert refused(client, copied)
    # Signing out again with the ended cookie just clears it.
    again = client.post("/ui/logout", data={}, follow_redirects=False)
    assert again.status_code == 303


def test_an_admin_lists_and_ends_a_persons_sessions(
    client: TestClient, admin: dict[str, str], provider: OidcProvider
) -> None:
    cookies = []
    for _ in range(2):
        client.cookies.clear()
        sign_in(client)
        cookies.append(client.cookies["podium_session"])
    provider.person = {"sub": "frank", "email": "frank@example.com", "roles": ["ADMIN"]}
    client.cookies.clear()
    sign_in(client)
    franks = client.cookies["podium_session"]
    client.cookies.clear()

    listed = client.get("/api/auth/sessions", params={"principal": "erin"}, headers=admin)
    assert listed.status_code == 200
    sessions = listed.json()
    assert [s["principal"] for s in sessions] == ["erin", "erin"]
    assert {s["name"] for s in sessions} == {"erin@example.com"}
    assert all(s["expires"] - s["issued"] == 8 * 3600 * 1000 for s in sessions)
    assert not any(c in listed.text or c.split(".")[1] in listed.text for c in cookies)
    everyone = client.get("/api/auth/sessions", headers=admin).json()
    assert sorted(s["principal"] for s in everyone) == ["erin", "erin", "frank"]

    one = client.delete(f"/api/auth/sessions/{sessions[0]['id']}", headers=admin)
    assert one.status_code == 200, one.text
    # Both were issued in the same second: which cookie was listed first is not known.
    assert sorted(refused(client, c) for c in cookies) == [False, True]
    kept = next(c for c in cookies if not refused(client, c))
    client.cookies.clear()
    again = client.delete(f"/api/auth/sessions/{sessions[0]['id']}", headers=admin)
    assert again.status_code == 404

    ended = client.delete("/api/auth/sessions", params={"principal": "erin"}, headers=admin)
    assert ended.json() == {"ended": 1}
    assert refused(client, kept)
    assert not refused(client, franks)  # someone else's session is untouched
    client.cookies.clear()
    assert (
        client.get("/api/auth/sessions", params={"principal": "erin"}, headers=admin).json() == []
    )
    assert client.delete("/api/auth/sessions", headers=admin).status_code == 400

    # Ending sessions changes state: the audit log names who did it and to what.
    log = client.get("/api/audit", headers=admin).json()["results"]
    ends = [(r["method"], r["path"], r["resource"], r["status"]) for r in log]
    assert ("DELETE", "/api/auth/sessions", "USER:erin", 200) in ends
    one_path = f"/api/auth/sessions/{sessions[0]['id']}"
    assert ("DELETE", one_path, f"SESSION:{sessions[0]['id']}", 200) in ends
    assert ("DELETE", one_path, f"SESSION:{sessions[0]['id']}", 404) in ends


def test_only_an_admin_may_see_or_end_sessions(client: TestClient) -> None:
    _app_id, token = app_and_token(client, "USER", "someone")
    other = {"X-Authorization": token}
    assert client.get("/api/auth/sessions", headers=other).status_code == 403
    assert client.delete("/api/auth/sessions/x", headers=other).status_code == 403
    sign_in(client)  # a session's own cookie does not make its holder an admin either
    assert client.get("/api/auth/sessions").status_code == 403


def test_deleting_a_user_ends_their_sessions(client: TestClient, admin: dict[str, str]) -> None:
    user = {"name": "Erin", "roles": ["READ_ONLY_USER"], "groups": []}
    assert client.put("/api/users/erin", json=user, headers=admin).status_code == 200
    sign_in(client)
    cookie = client.cookies["podium_session"]
    assert not refused(client, cookie)
    client.cookies.clear()
    assert client.delete("/api/users/erin", headers=admin).status_code == 200
    assert refused(client, cookie)


def test_sign_out_through_one_postgresql_node_refuses_the_cookie_on_another_at_once(
    provider: OidcProvider,
) -> None:
    with ExitStack() as stack:
        url = stack.enter_context(postgres_database())
        a = stack.enter_context(_app(url, provider))
        b = stack.enter_context(_app(url, provider))
        sign_in(a)
        cookie = a.cookies["podium_session"]
        assert not refused(b, cookie)  # node b has read the session and remembers it open
        b.cookies.clear()
        out = a.post("/ui/logout", data={"csrf_token": csrf_of(a)}, follow_redirects=False)
        assert out.status_code == 303
        # Well within the 30 s that node b would otherwise remember the session open.
        wait_for(lambda: refused(b, cookie), 5, "node b to refuse the signed-out cookie")
