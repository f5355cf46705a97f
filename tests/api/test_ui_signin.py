"""Signing people in to the UI with OpenID Connect (authorization code + PKCE) against a
provider the tests start, the session cookie it leaves, and CSRF on state-changing requests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from podium.auth.principals import Principal
from podium.config import Settings
from podium.server import build_app
from podium.ui import app as ui
from tests.api.test_auth import app_and_token
from tests.support.oidc_provider import OidcProvider, oidc_provider

CALLBACK = "http://testserver/ui/auth/callback"
ALICE = {"sub": "alice-1", "email": "alice@example.com", "roles": ["ADMIN"], "groups": ["ops"]}


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    with oidc_provider(CALLBACK) as p:
        p.person = dict(ALICE)
        yield p


def _app(
    tmp_path: Path,
    provider: OidcProvider | None,
    base_url: str = "http://testserver",
    **extra: object,
) -> TestClient:
    oidc = (
        {
            "oidc_issuer": provider.issuer,
            "oidc_client_id": provider.client_id,
            "oidc_client_secret": provider.client_secret,
        }
        if provider
        else {}
    )
    settings = Settings(db=f"sqlite:///{tmp_path / 'ui.db'}", auth=True, **oidc, **extra)  # type: ignore[arg-type]
    return TestClient(build_app(settings), base_url=base_url, raise_server_exceptions=False)


@pytest.fixture
def client(tmp_path: Path, provider: OidcProvider) -> Iterator[TestClient]:
    with _app(tmp_path, provider) as c:
        yield c


def _local(url: str) -> str:
    """The path and query of an address on the test server."""
    parts = urlsplit(url)
    assert parts.netloc in ("", "testserver", "podium.example.com"), url
    return parts.path + (f"?{parts.query}" if parts.query else "")


def set_cookie(response: httpx.Response, name: str) -> str:
    """The Set-Cookie header of one cookie."""
    found = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}=")]
    assert len(found) == 1, response.headers.get_list("set-cookie")
    return found[0]


def leave_for_provider(client: TestClient, start: str = "/ui/") -> str:
    """Open a page without a session; follow Podium to the provider's authorization address."""
    page = client.get(start, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/ui/login?next=")
    login = client.get(page.headers["location"], follow_redirects=False)
    assert login.status_code == 303, login.text
    return str(login.headers["location"])


def sign_in(client: TestClient, start: str = "/ui/") -> httpx.Response:
    """The whole round trip; the callback's response (its redirect sets the session)."""
    authorize = httpx.get(leave_for_provider(client, start), follow_redirects=False)
    assert authorize.status_code == 302, authorize.text
    done: httpx.Response = client.get(_local(authorize.headers["location"]), follow_redirects=False)
    return done


def csrf_of(client: TestClient) -> str:
    page = client.get("/ui/")
    marker = 'name="csrf_token" value="'
    start = page.text.index(marker) + len(marker)
    return str(page.text[start : page.text.index('"', start)])


def test_a_person_signs_in_and_lands_on_the_page_they_asked_for(
    client: TestClient, provider: OidcProvider
) -> None:
    done = sign_in(client, "/ui/?tab=mine")
    assert done.status_code == 303
    assert done.headers["location"] == "/ui/?tab=mine"
    page = client.get("/ui/")
    assert page.status_code == 200
    assert "alice@example.com" in page.text
    assert "ADMIN" in page.text
    assert "ops" in page.text
    # The request to the provider: code flow, PKCE S256, a state and a nonce.
    sent = provider.authorize_requests[-1]
    assert sent["response_type"] == "code"
    assert sent["code_challenge_method"] == "S256"
    assert sent["code_challenge"]
    assert sent["state"]
    assert sent["nonce"]
    assert "openid" in sent["scope"].split()
    # ...and the code was traded with the verifier and the client's credentials.
    assert provider.token_requests[-1]["code_verifier"]


def test_the_session_cookie_is_httponly_lax_and_secure_behind_https(
    tmp_path: Path, provider: OidcProvider
) -> None:
    with _app(tmp_path, provider) as plain:
        cookie = set_cookie(sign_in(plain), "podium_session")
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert "Path=/" in cookie

    provider.redirect_uri = "https://podium.example.com/ui/auth/callback"
    site = "https://podium.example.com"
    with _app(tmp_path, provider, base_url=site, public_url=site) as tls:
        login = tls.get("/ui/login", follow_redirects=False)
        assert "secure" in set_cookie(login, "podium_login").lower()
        authorize = httpx.get(login.headers["location"], follow_redirects=False)
        back = urlsplit(authorize.headers["location"])
        assert back.netloc == "podium.example.com"
        done = tls.get(f"{back.path}?{back.query}", follow_redirects=False)
    cookie = set_cookie(done, "__Host-podium_session")
    assert "secure" in cookie.lower()
    assert "httponly" in cookie.lower()


def test_the_api_accepts_the_session_but_state_changes_need_the_csrf_token(
    client: TestClient,
) -> None:
    sign_in(client)
    assert client.get("/api/metadata/workflow").status_code == 200
    step = {"name": "s", "taskReferenceName": "s", "type": "SET_VARIABLE", "inputParameters": {}}
    definition = {"name": "ui_made", "version": 1, "tasks": [step], "schemaVersion": 2}
    refused = client.post("/api/metadata/workflow", json=definition)
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["message"]
    wrong = client.post("/api/metadata/workflow", json=definition, headers={"X-CSRF-Token": "x"})
    assert wrong.status_code == 403
    assert client.get("/api/metadata/workflow/ui_made").status_code == 404
    token = csrf_of(client)
    made = client.post("/api/metadata/workflow", json=definition, headers={"X-CSRF-Token": token})
    assert made.status_code == 200, made.text


def test_roles_come_from_the_id_token(client: TestClient, provider: OidcProvider) -> None:
    provider.person = {"sub": "bob", "email": "bob@example.com", "roles": ["READ_ONLY_USER"]}
    sign_in(client)
    assert client.get("/api/metadata/workflow").status_code == 200
    refused = client.post("/api/admin/sweep/requeue/x", headers={"X-CSRF-Token": csrf_of(client)})
    assert refused.status_code == 403


def test_signing_out_needs_the_form_token_and_ends_the_session(client: TestClient) -> None:
    sign_in(client)
    forged = client.post("/ui/logout", data={}, follow_redirects=False)
    assert forged.status_code == 403
    assert client.get("/ui/", follow_redirects=False).status_code == 200
    out = client.post("/ui/logout", data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"] == "/ui/signed-out"
    assert "podium_session" not in client.cookies
    assert client.get("/ui/", follow_redirects=False).status_code == 303
    assert client.get("/api/metadata/workflow").status_code == 401


def test_a_changed_state_is_refused(client: TestClient) -> None:
    authorize = httpx.get(leave_for_provider(client), follow_redirects=False)
    back = urlsplit(authorize.headers["location"])
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    query["state"] = "forged"
    answer = client.get(back.path, params=query, follow_redirects=False)
    assert answer.status_code == 400
    assert not any("podium_session" in c for c in answer.headers.get_list("set-cookie"))
    assert client.get("/ui/", follow_redirects=False).status_code == 303


def test_a_code_from_another_browsers_sign_in_is_refused(
    tmp_path: Path, client: TestClient, provider: OidcProvider
) -> None:
    victim_started = leave_for_provider(client)
    authorize = httpx.get(victim_started, follow_redirects=False)
    with _app(tmp_path, provider) as attacker:  # another browser: no login cookie of this one
        answer = attacker.get(_local(authorize.headers["location"]), follow_redirects=False)
        assert answer.status_code == 400
        assert attacker.get("/ui/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    "override",
    [
        {"nonce": "another sign-in"},
        {"aud": "someone-else"},
        {"iss": "https://impostor.example"},
        {"exp": 1000},
    ],
    ids=["nonce", "audience", "issuer", "expired"],
)
def test_an_id_token_that_does_not_fit_is_refused(
    client: TestClient, provider: OidcProvider, override: dict[str, object]
) -> None:
    provider.id_token_overrides = override
    answer = sign_in(client)
    assert answer.status_code == 400
    assert "Sign-in failed" in answer.text
    assert client.get("/ui/", follow_redirects=False).status_code == 303


def test_a_declined_sign_in_says_so(client: TestClient, provider: OidcProvider) -> None:
    provider.deny = True
    answer = sign_in(client)
    assert answer.status_code == 401
    assert "access_denied" in answer.text


def test_after_sign_in_it_never_sends_the_browser_to_another_site(client: TestClient) -> None:
    targets = ("//evil.example/x", "https://evil.example/", "/\\evil.example", "/\t/evil.example")
    for target in targets:
        client.cookies.clear()
        login = client.get("/ui/login", params={"next": target}, follow_redirects=False)
        authorize = httpx.get(login.headers["location"], follow_redirects=False)
        done = client.get(_local(authorize.headers["location"]), follow_redirects=False)
        assert done.headers["location"] == "/ui/", target


def test_session_cookies_and_api_tokens_are_not_interchangeable(client: TestClient) -> None:
    sign_in(client)
    session = client.cookies["podium_session"]
    _app_id, token = app_and_token(client, "ADMIN", "apps")
    client.cookies.clear()
    as_bearer = client.get("/api/metadata/workflow", headers={"X-Authorization": session})
    assert as_bearer.status_code == 401
    client.cookies.set("podium_session", token)
    assert client.get("/api/metadata/workflow").status_code == 401
    assert client.get("/ui/", follow_redirects=False).status_code == 303


def test_an_expired_session_sends_the_browser_to_sign_in(client: TestClient) -> None:
    svc = client.app.state.services  # type: ignore[attr-defined]
    codec = client.portal.call(svc.security.sessions)  # type: ignore[union-attr]
    now_s = svc.ctx.clock() // 1000
    old = codec.issue(Principal("carol", "carol", frozenset({"ADMIN"})), now_s - 7200, 3600)
    client.cookies.set("podium_session", old)
    page = client.get("/ui/", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/ui/login")
    api = client.get("/api/metadata/workflow")
    assert api.status_code == 401
    assert api.json()["error"] == "EXPIRED_TOKEN"


def test_every_state_changing_ui_form_checks_the_csrf_token(client: TestClient) -> None:
    sign_in(client)
    posts = [r.path for r in ui.router.routes if "POST" in getattr(r, "methods", ())]  # type: ignore[attr-defined]
    assert posts, "the UI has no forms?"
    for path in posts:
        assert client.post(path, data={}, follow_redirects=False).status_code == 403, path


def test_without_an_identity_provider_sign_in_says_it_is_not_configured(tmp_path: Path) -> None:
    with _app(tmp_path, None) as c:
        answer = c.get("/ui/login")
        assert answer.status_code == 404
        assert "--oidc-issuer" in answer.text
    settings = Settings(db=f"sqlite:///{tmp_path / 'open.db'}")
    with TestClient(build_app(settings)) as open_:
        page = open_.get("/ui/")
        assert page.status_code == 200
        assert "Authentication is off" in page.text


def test_a_signed_in_person_holds_the_stored_roles_of_their_groups(
    client: TestClient, provider: OidcProvider
) -> None:
    _app_id, admin_token = app_and_token(client, "ADMIN", "root")
    admin = {"X-Authorization": admin_token}
    group = {"description": "operators", "roles": ["WORKFLOW_MANAGER"]}
    assert client.put("/api/groups/ops", json=group, headers=admin).status_code == 200
    provider.person = {"sub": "erin", "email": "erin@example.com", "groups": ["ops"]}
    sign_in(client)
    assert "WORKFLOW_MANAGER" in client.get("/ui/").text
    assert client.get("/api/event").status_code == 200  # METADATA_READ by the group's role
    group["roles"] = []
    assert client.put("/api/groups/ops", json=group, headers=admin).status_code == 200
    assert client.get("/api/event").status_code == 403  # the same session, at once
