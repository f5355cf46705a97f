"""The UI's sessions: recorded by id, ended once (one or all of a principal's), listed while
open and unexpired, oldest first; expired ones pruned; a rolled-back unit leaves nothing."""

from __future__ import annotations

import pytest

from podium.store import Store, UiSession

from .support import Run


class Boom(Exception):
    """Raised inside a unit of work to make it roll back."""


def session(session_id: str, principal: str = "alice", *, issued: int = 1_000) -> UiSession:
    return UiSession(session_id, principal, f"{principal}@example.com", issued, issued + 3600)


def ids(sessions: list[UiSession]) -> list[str]:
    return [s.id for s in sessions]


def test_a_session_is_kept_by_id_and_ended_once(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            assert await tx.get_session("s1") is None
            await tx.put_session(session("s1"))
        async with store.transaction() as tx:
            assert await tx.get_session("s1") == session("s1")
            assert await tx.get_session("S1") is None  # ids are case-sensitive
            assert await tx.end_session("s1", 1_500) is True
            assert await tx.end_session("s1", 1_600) is False  # ended already: kept as it was
            assert await tx.end_session("never", 1_600) is False
        async with store.transaction() as tx:
            ended = await tx.get_session("s1")
            assert ended == UiSession("s1", "alice", "alice@example.com", 1_000, 4_600, 1_500)

    run(scenario)


def test_every_open_session_of_a_principal_ends_at_once(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            for sid, who in (("a1", "alice"), ("a2", "alice"), ("b1", "bob"), ("a3", "alice")):
                await tx.put_session(session(sid, who))
            await tx.end_session("a3", 1_100)
        async with store.transaction() as tx:
            assert await tx.end_sessions_of("alice", 1_200) == 2
            assert await tx.end_sessions_of("alice", 1_300) == 0
            assert await tx.end_sessions_of("nobody", 1_300) == 0
        async with store.transaction() as tx:
            ended = {s: await tx.get_session(s) for s in ("a1", "a2", "a3", "b1")}
            assert {s: v.ended_at if v else -1 for s, v in ended.items()} == {
                "a1": 1_200,
                "a2": 1_200,
                "a3": 1_100,
                "b1": None,
            }

    run(scenario)


def test_open_sessions_are_the_unended_unexpired_ones_oldest_first(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.put_session(session("late", issued=3_000))
            await tx.put_session(session("b", issued=1_000))
            await tx.put_session(session("a", issued=1_000))
            await tx.put_session(session("bob", "bob", issued=2_000))
            await tx.put_session(session("gone", issued=2_500))
            await tx.end_session("gone", 2_600)
        async with store.transaction() as tx:
            assert ids(await tx.open_sessions(None, 2_000)) == ["a", "b", "bob", "late"]
            assert ids(await tx.open_sessions("alice", 2_000)) == ["a", "b", "late"]
            assert ids(await tx.open_sessions("alice", 4_600)) == ["a", "b", "late"]
            assert ids(await tx.open_sessions("alice", 4_601)) == ["late"]  # a, b expired
            assert await tx.open_sessions("nobody", 0) == []

    run(scenario)


def test_pruning_deletes_only_the_sessions_expired_before_the_cutoff(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            for sid, issued in (("old", 1_000), ("edge", 2_000), ("new", 3_000)):
                await tx.put_session(session(sid, issued=issued))
            await tx.end_session("new", 3_100)
        async with store.transaction() as tx:
            assert await tx.prune_sessions(5_600) == 1  # "old" expired at 4_600
            assert await tx.prune_sessions(5_600) == 0
        async with store.transaction() as tx:
            assert await tx.get_session("old") is None
            assert await tx.get_session("edge") is not None  # expires at 5_600: not before
            assert await tx.get_session("new") is not None  # ended, not expired: kept

    run(scenario)


async def _ending_then_failing(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.put_session(session("dropped"))
        assert await tx.end_session("kept", 1_500) is True
        assert (await tx.get_session("kept") or session("x")).ended_at == 1_500
        raise Boom


def test_a_unit_that_rolls_back_records_and_ends_nothing(run: Run) -> None:
    async def scenario(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.put_session(session("kept"))
        with pytest.raises(Boom):
            await _ending_then_failing(store)
        async with store.transaction() as tx:
            assert await tx.get_session("dropped") is None
            assert await tx.get_session("kept") == session("kept")

    run(scenario)
