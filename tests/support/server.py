"""Run a real `podium server` process for acceptance tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx

__all__ = ["PodiumProcess", "free_port", "wait_for"]

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], T | None], timeout: float, what: str, every: float = 0.05) -> T:
    """Call `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class PodiumProcess:
    """`podium server` on a free port with its own SQLite file (or the database `db`)."""

    def __init__(
        self,
        workdir: Path,
        *extra: str,
        env: dict[str, str] | None = None,
        db: str | None = None,
    ) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.db = db or f"sqlite:///{workdir / 'podium.db'}"
        self.extra = extra
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "server.log"
        self.kills = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return f"{self.url}/api"

    def start(self, timeout: float = 30) -> PodiumProcess:
        self.launch()
        return self.wait_started(timeout)

    def launch(self) -> None:
        """Start the process without waiting for it to serve (see `wait_started`)."""
        cmd = [sys.executable, "-m", "podium", "server", "--port", str(self.port), "--db", self.db]
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [*cmd, *self.extra],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.workdir,
            )

    def wait_started(self, timeout: float = 30) -> PodiumProcess:
        wait_for(self._healthy, timeout, f"podium server on {self.url}")
        return self

    def _healthy(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"server exited with {self.proc.returncode}: {self.logs()}")
        try:
            return httpx.get(f"{self.url}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def crash_and_restart(self) -> None:
        """SIGKILL, then start again on the same port and database."""
        self.kill()
        self.kills += 1
        self.start()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None

    def logs(self, tail: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-tail:] if self.log_path.exists() else ""
