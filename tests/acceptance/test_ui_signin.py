"""A real `podium server --auth --oidc-issuer ...` process: a browser-like client signs in at an
OpenID provider started by the test, over real HTTP, following every redirect itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.oidc_provider import OidcProvider, oidc_provider
from tests.support.server import PodiumProcess

pytestmark = pytest.mark.acceptance


@pytest.fixture
def signed_in_setup(tmp_path: Path) -> Iterator[tuple[PodiumProcess, OidcProvider]]:
    podium = PodiumProcess(tmp_path)
    with oidc_provider(f"{podium.url}/ui/auth/callback") as provider:
        provider.person = {"sub": "dana", "email": "dana@example.com", "roles": ["ADMIN"]}
        podium.extra = (
            "--auth",
            "--oidc-issuer",
            provider.issuer,
            "--oidc-client-id",
            provider.client_id,
        )
        podium.env["PODIUM_OIDC_CLIENT_SECRET"] = provider.client_secret
        podium.start()
        try:
            yield podium, provider
        finally:
            podium.stop()


def test_a_person_signs_in_through_the_provider_and_signs_out(
    signed_in_setup: tuple[PodiumProcess, OidcProvider],
) -> None:
    podium, provider = signed_in_setup
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        page = browser.get(f"{podium.url}/ui/")  # -> sign-in -> provider -> callback -> page
        assert page.status_code == 200, page.text
        assert str(page.url) == f"{podium.url}/ui/"
        assert "dana@example.com" in page.text
        assert [str(r.url).split("?")[0] for r in page.history] == [
            f"{podium.url}/ui/",
            f"{podium.url}/ui/login",
            f"{provider.url}/authorize",
            f"{podium.url}/ui/auth/callback",
        ]
        assert browser.get(f"{podium.api}/metadata/workflow").status_code == 200

        marker = 'name="csrf_token" value="'
        start = page.text.index(marker) + len(marker)
        csrf = page.text[start : page.text.index('"', start)]
        out = browser.post(f"{podium.url}/ui/logout", data={"csrf_token": csrf})
        assert out.status_code == 200
        assert "signed out" in out.text
        assert browser.get(f"{podium.api}/metadata/workflow").status_code == 401
    assert provider.client_secret not in podium.logs()
