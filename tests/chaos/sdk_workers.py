"""The conductor-python worker function of the multi-node chaos test.

It lives at module level so that TaskHandler's spawned worker processes can import it by
reference. Like tests/acceptance/workers.py this module does not use postponed annotations:
the SDK reads parameter annotations at runtime to convert task input.
"""

from conductor.client.context.task_context import get_task_context

__all__ = ["FirstAttemptFails", "chaos_step"]


class FirstAttemptFails(RuntimeError):
    """What a worker raises on a first attempt the test marked to fail (a retry follows)."""


def chaos_step(v: int, fail_first: bool = False) -> dict[str, object]:
    """Adds one; fails its first attempt when asked, so that a delayed retry runs it again."""
    if fail_first and get_task_context().get_retry_count() == 0:
        raise FirstAttemptFails(f"v={v}: the first attempt fails on purpose")
    return {"v": v + 1}
