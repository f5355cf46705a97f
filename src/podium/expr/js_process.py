"""Scripts run in a separate process, so no script can take the server down with it.

V8 treats some allocations as fatal and aborts its whole process (a single
`new Array(2.5e8).fill(1)` does). In the server that would be a poison pill: the decision that
ran the script is rolled back, so the next attempt runs it again. Here the isolate lives in a
child process; the server talks to it over a pipe (a round trip costs a fraction of a
millisecond) and replaces it when it dies or stops answering.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import orjson

from podium.expr.js_engine import Answer

__all__ = ["ScriptHost", "script_host"]

# How long past a script's own time limit the child may take to answer before it is replaced.
_GRACE_S = 2.0


def _serve(conn: Connection) -> None:
    """The child's loop: run each program with the in-process engine, answer its result."""
    from podium.expr.js_engine import engine

    while True:
        try:
            program, timeout_s, memory_bytes = orjson.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        answer = engine().call(program, timeout_s=timeout_s, memory_bytes=memory_bytes)
        if answer.out_of_memory:
            # The isolate was replaced: garbage left by earlier scripts must not fail this
            # one, so it gets one more try on the fresh isolate.
            answer = engine().call(program, timeout_s=timeout_s, memory_bytes=memory_bytes)
        conn.send_bytes(
            orjson.dumps([answer.text, answer.timed_out, answer.out_of_memory, answer.failure])
        )


class ScriptHost:
    """The server's side of the script process (started on first use)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._process: BaseProcess | None = None

    def call(self, program: str, *, timeout_s: float, memory_bytes: int) -> Answer:
        """Run a prelude program in the child; a crash or a hang answers like a limit hit.

        A child that dies during a call is replaced and the call tried once more: an earlier
        script may have left it dying (V8 finishes abandoned work after answering), and an
        innocent script must not pay for that.
        """
        with self._lock:
            for attempt in (1, 2):
                conn = self._connection()
                try:
                    conn.send_bytes(orjson.dumps([program, timeout_s, memory_bytes]))
                    if not conn.poll(timeout_s + _GRACE_S):
                        self._restart()
                        return Answer(timed_out=True)
                    text, timed_out, out_of_memory, failure = orjson.loads(conn.recv_bytes())
                    return Answer(text, timed_out, out_of_memory, failure)
                except (EOFError, OSError):
                    self._restart()
                    if attempt == 2:  # it died twice on this script: V8 aborted on memory
                        return Answer(out_of_memory=True)
            raise AssertionError("unreachable")  # pragma: no cover

    def _connection(self) -> Connection:
        if self._conn is None or self._process is None or not self._process.is_alive():
            self._start()
        assert self._conn is not None
        return self._conn

    def _start(self) -> None:
        self._stop()
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(target=_serve, args=(child,), name="podium-scripts", daemon=True)
        process.start()
        child.close()
        self._conn, self._process = parent, process

    def _restart(self) -> None:
        self._stop()
        self._start()

    def _stop(self) -> None:
        conn, process = self._conn, self._process
        self._conn = self._process = None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()
        if process is not None and process.is_alive():
            process.kill()
            process.join(5)

    def close(self) -> None:
        with self._lock:
            self._stop()


_host: ScriptHost | None = None
_host_lock = threading.Lock()


def script_host() -> ScriptHost:
    """The process-wide script host."""
    global _host  # noqa: PLW0603 (one child process per server process)
    with _host_lock:
        if _host is None:
            _host = ScriptHost()
            atexit.register(_host.close)
        return _host
