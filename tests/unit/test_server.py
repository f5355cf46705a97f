"""The server keeps every background loop running for its whole life, and refuses settings
that do not make sense together."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from podium import server
from podium.cli import app
from podium.config import Settings
from podium.server import external_issuer


def test_a_crashed_background_loop_starts_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "_RESTART_S", 0.0)
    starts: list[int] = []

    async def flaky_loop() -> None:
        starts.append(len(starts))
        if len(starts) < 3:
            raise RuntimeError("a bug, or the database went away")
        await asyncio.Event().wait()  # the third start keeps running

    async def scenario() -> None:
        supervised = asyncio.create_task(server._forever("flaky", flaky_loop))
        while len(starts) < 3:
            await asyncio.sleep(0.01)
        assert not supervised.done()
        supervised.cancel()
        with pytest.raises(asyncio.CancelledError):
            await supervised

    asyncio.run(asyncio.wait_for(scenario(), 5))
    assert starts == [0, 1, 2]


def test_external_jwts_need_authentication_on_and_an_issuer_and_audience() -> None:
    runner = CliRunner()
    no_auth = runner.invoke(app, ["server", "--jwt-jwks-url", "http://idp.test/jwks"])
    assert no_auth.exit_code != 0
    assert "--auth" in no_auth.output
    settings = Settings(auth=True, jwt_jwks_url="http://idp.test/jwks", jwt_issuer="http://idp/")
    with pytest.raises(SystemExit, match="--jwt-audience"):
        external_issuer(settings)
    assert external_issuer(Settings(auth=True)) is None


def test_a_trusted_proxy_needs_authentication_on_and_a_real_address() -> None:
    runner = CliRunner()
    no_auth = runner.invoke(app, ["server", "--trusted-proxy", "10.0.0.0/8"])
    assert no_auth.exit_code != 0
    assert "--auth" in no_auth.output
    malformed = runner.invoke(app, ["server", "--auth", "--trusted-proxy", "oathkeeper"])
    assert malformed.exit_code != 0
    assert "oathkeeper" in malformed.output
