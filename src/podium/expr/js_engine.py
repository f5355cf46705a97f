"""One reusable V8 isolate (mini-racer) per thread, with its own event loop, recycled on failure.

mini-racer 0.14 drives V8 through asyncio: a ``MiniRacer`` binds to the event loop running where
it is created, and a timed ``eval`` from that loop's own thread is refused. The decider calls us
synchronously from the server's loop, so every engine owns a private loop in a daemon thread and
creates its ``MiniRacer`` there; a call hops to that thread and waits for the answer.

Every call queues two V8 tasks back to back: the script, then ``__podium__.restore()``, and
waits for both under one deadline. V8 drains the microtask queue between tasks, so promise
callbacks a script left behind run before the restore, are cleaned up by it, and count against
the script's own time limit; one that never ends times the call out instead of wedging the
isolate for the next caller. The second task is a third of a call's cost (~0.1 ms).

An isolate is replaced, never reused, after a timeout, a memory-limit hit, an engine failure or
a restore that did not complete. The old one is closed in a reaper thread: closing joins V8's
thread, which takes as long as a built-in that ignores termination keeps running (for example
``new Array(1e8).fill(1)`` on a dictionary-mode array).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import re
import threading
import weakref
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
        self._memory_bytes = 0
        self._thread = threading.Thread(
            target=_run_loop, args=(self._loop,), name="podium-js-loop", daemon=True
        )
        self._thread.start()
        _engines.add(self)
        # An engine dies with its thread's locals; its loop thread must not outlive it.
        self._stop_loop = weakref.finalize(self, _stop, self._loop)
        self._stop_loop.atexit = False  # _close_all stops it, after closing the isolate

    def call(self, program: str, *, timeout_s: float, memory_bytes: int) -> Answer:
        """Run ``program`` in the isolate and return its answer within ``timeout_s``."""
        future = asyncio.run_coroutine_threadsafe(
            self._call(program, timeout_s, memory_bytes), self._loop
        )
        try:
            return future.result(timeout=timeout_s + _SLACK_S)
        except TimeoutError:
            future.cancel()
            self.broken = True
            return Answer(timed_out=True)

    async def _call(self, program: str, timeout_s: float, memory_bytes: int) -> Answer:
        racer = self._ready(memory_bytes)
        both = asyncio.gather(
            racer.eval_cancelable(program),
            racer.eval_cancelable(RESTORE_PROGRAM),
            return_exceptions=True,
        )
        try:
            # asyncio.timeout rather than wait_for: one task fewer per call.
            async with asyncio.timeout(timeout_s):
                script, restored = await both
        except TimeoutError:
            # The gather has finished cancelling both tasks, so the isolate is idle or stuck.
            answer = Answer(timed_out=True)
        else:
            answer = _answer(script)
            if answer.text is not None and restored is True:
                return answer
        self._replace()
        return answer

    def _ready(self, memory_bytes: int) -> MiniRacer:
        if self._racer is None:
            self._racer = _make_racer()
            self._memory_bytes = 0
        if memory_bytes != self._memory_bytes:
            self._racer.set_hard_memory_limit(memory_bytes)
            # Without a soft limit V8 (whose own heap limit is far higher) postpones full
            # collections, and garbage from earlier calls alone reaches the hard limit.
            self._racer.set_soft_memory_limit(memory_bytes // 2)
            self._memory_bytes = memory_bytes
        return self._racer

    def _replace(self) -> None:
        """Hand the isolate to a reaper thread and create a new one."""
        racer, self._racer = self._racer, None
        if racer is not None:
            threading.Thread(
                target=_close_quietly, args=(racer,), name="podium-js-reaper", daemon=True
            ).start()
        self._ready(self._memory_bytes)

    def close(self, timeout_s: float = 2.0) -> None:
        """Close the isolate (waiting at most ``timeout_s``) and stop the loop thread."""
        self.broken = True
        racer, self._racer = self._racer, None
        if racer is not None:
            reaper = threading.Thread(target=_close_quietly, args=(racer,), daemon=True)
            reaper.start()
            reaper.join(timeout_s)
        self._stop_loop()


def _stop(loop: asyncio.AbstractEventLoop) -> None:
    with contextlib.suppress(RuntimeError):  # already closed
        loop.call_soon_threadsafe(loop.stop)


def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
    try:
        loop.run_forever()
    finally:
        loop.close()


def _answer(script: Any) -> Answer:
    if isinstance(script, str):
        return Answer(text=script)
    if isinstance(script, JSOOMException):
        return Answer(out_of_memory=True)
    if isinstance(script, JSEvalException):
        return Answer(failure=_first_line(script))
    return Answer(failure=f"the JavaScript engine failed: {script!r}")


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
_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    """Close isolates before the interpreter finalizes.

    During finalization Python ends any thread that asks for the GIL, V8's included; a
    ``MiniRacer`` closed by the garbage collector then waits forever for that thread.
    """
    for each in list(_engines):
        each.close()


def engine() -> Engine:
    """The calling thread's engine, created on first use (again if it broke)."""
    current: Engine | None = getattr(_local, "engine", None)
    if current is None or current.broken:
        current = Engine()
        _local.engine = current
    return current
