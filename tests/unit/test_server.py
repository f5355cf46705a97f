"""The server keeps every background loop running for its whole life."""

from __future__ import annotations

import asyncio

import pytest

from podium import server


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
