"""One reusable V8 isolate (mini-racer) per thread, with its own event loop, recycled on failure.

mini-racer 0.14 drives V8 through asyncio: a ``MiniRacer`` binds to the event loop running where
it is created, and a timed ``eval`` from that loop's own thread is refused. The decider calls us
synchronously from the server's loop, so every engine owns a private loop in a daemon thread and
creates its ``MiniRacer`` there; a call hops to that thread and waits for the answer.

After the script, ``__podium__.restore()`` is queued as a second V8 task and left running while
the caller goes on. V8 drains the script's microtasks (promise callbacks) before that task, so
they are cleaned up too; the next call waits for the restore first, but no longer than the
previous call's deadline, since a microtask that never ends would otherwise wedge the isolate.

An isolate is replaced, never reused, after a timeout, a memory-limit hit, an engine failure or
a restore that did not complete. The old one is closed in a reaper thread: closing joins V8's
thread, which takes as long as a built-in that ignores termination keeps running (for example
``new Array(1e8).fill(1)`` on a dictionary-mode array).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from dataclasses import dataclass
from typing import Any

from py_mini_racer import JSEvalException, JSOOMException, MiniRacer

from podium.expr.js_prelude import PRELUDE, RESTORE_PROGRAM

__all__ = ["Answer", "Engine", "engine"]

_LOCATION = re.compile(r"^<anonymous>:\d+: ")
_SLACK_S = 10.0
"""Extra wait on the calling thread before it gives up on an engine whose loop stopped answering."""


@dataclass(frozen=True, slots=True)
class Answer:
    """What one call produced: the prelude's answer string, or why there is none."""

    text: str | None = None
    timed_out: bool = False
    out_of_memory: bool = False
    failure: str | None = None


class Engine:
    """A V8 isolate with the prelude installed, used by one thread."""

    def __init__(self) -> None:
        self.broken = False
        self._loop = asyncio.new_event_loop()
        self._racer: MiniRacer | None = None
        self._restore: asyncio.Task[Any] | None = None
        self._restore_deadline = 0.0
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="podium-js-loop", daemon=True
        )
        self._thread.start()

    def call(self, program: str, *, timeout_s: float, memory_bytes: int) -> Answer:
        """Run ``program`` in the isolate and return its answer within ``timeout_s``."""
        future = asyncio.run_coroutine_threadsafe(
            self._call(program, timeout_s, memory_bytes), self._loop
        )
        try:
            # Up to two deadlines (the previous call's restore, then ours) plus isolate creation.
            return future.result(timeout=2 * timeout_s + _SLACK_S)
        except TimeoutError:
            future.cancel()
            self.broken = True
            return Answer(timed_out=True)

    async def _call(self, program: str, timeout_s: float, memory_bytes: int) -> Answer:
        racer = await self._ready()
        # Setting the limit also clears mini-racer's sticky "limit reached" flag.
        racer.set_hard_memory_limit(memory_bytes)
        deadline = self._loop.time() + timeout_s
        try:
            value = await asyncio.wait_for(racer.eval_cancelable(program), timeout_s)
        except TimeoutError:
            answer = Answer(timed_out=True)
        except JSOOMException:
            answer = Answer(out_of_memory=True)
        except JSEvalException as exc:
            answer = Answer(failure=_first_line(exc))
        else:
            if isinstance(value, str):
                self._restore = self._loop.create_task(racer.eval_cancelable(RESTORE_PROGRAM))
                self._restore_deadline = deadline
                return Answer(text=value)
            answer = Answer(failure=f"unexpected engine answer {type(value).__name__}")
        await self._replace()
        return answer

    async def _ready(self) -> MiniRacer:
        """The isolate, once the previous call's restore has succeeded; a fresh one otherwise."""
        pending, self._restore = self._restore, None
        if pending is not None:
            remaining = max(self._restore_deadline - self._loop.time(), 0.0)
            if not await _succeeded(pending, remaining):
                await self._replace()
        if self._racer is None:
            self._racer = _make_racer()
        return self._racer

    async def _replace(self) -> None:
        """Hand the current isolate to a reaper thread and create a new one."""
        racer, self._racer = self._racer, None
        pending, self._restore = self._restore, None
        if pending is not None:
            # The task must finish cancelling (it calls into the context) before the close.
            pending.cancel()
            await asyncio.gather(pending, return_exceptions=True)
        if racer is not None:
            threading.Thread(
                target=_close_quietly, args=(racer,), name="podium-js-reaper", daemon=True
            ).start()
        self._racer = _make_racer()


async def _succeeded(restore: asyncio.Task[Any], timeout_s: float) -> bool:
    try:
        return await asyncio.wait_for(restore, timeout_s) is True
    except (TimeoutError, JSEvalException):
        return False


def _make_racer() -> MiniRacer:
    """Create an isolate; called on the engine's loop, which mini-racer then binds to."""
    racer = MiniRacer()
    racer.eval(PRELUDE)
    return racer


def _close_quietly(racer: MiniRacer) -> None:
    with contextlib.suppress(Exception):
        racer.close()


def _first_line(exc: JSEvalException) -> str:
    """mini-racer's message starts ``<anonymous>:1: RangeError: ...``, then source and stack."""
    first = str(exc).strip().split("\n", 1)[0]
    return _LOCATION.sub("", first) or "the JavaScript engine failed"


_local = threading.local()


def engine() -> Engine:
    """The calling thread's engine, created on first use (again if it broke)."""
    current: Engine | None = getattr(_local, "engine", None)
    if current is None or current.broken:
        current = Engine()
        _local.engine = current
    return current
