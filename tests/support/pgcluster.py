"""A private PostgreSQL cluster that a test may crash and restart.

Never the machine's shared server (127.0.0.1:5432): other tests and people use it. The cluster
lives in a temporary directory, listens on a free port, and is removed afterwards. PostgreSQL
refuses to run as root, so as root its programs run as the `postgres` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.support.server import free_port

__all__ = ["PostgresCluster", "private_postgres"]

_OWNER = "postgres"
# fsync=off is safe for what the tests inflict (processes killed, never the machine): committed
# WAL is in the kernel's page cache before a commit returns, and it survives the crash of every
# PostgreSQL process. synchronous_commit stays on: acknowledged commits must survive.
_SETTINGS = ("fsync=off", "listen_addresses=127.0.0.1", "max_connections=200")


class PostgresCluster:
    """`initdb`, `pg_ctl start/stop/restart` on one data directory."""

    def __init__(self, root: Path, bin_dir: Path) -> None:
        self.root = root
        self.bin_dir = bin_dir
        self.data = root / "data"
        self.log_path = root / "postgres.log"
        self.port = free_port()
        self.restarts = 0

    @property
    def url(self) -> str:
        """The server, without a database name."""
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} " + " ".join(f"-c {s}" for s in _SETTINGS)
        self._ctl("start", "-o", options)

    def stop(self, mode: str = "fast") -> None:
        self._ctl("stop", "-m", mode)

    def crash(self, down_s: float = 0.0) -> None:
        """Stop as a crash would (`-m immediate`: every connection cut, no checkpoint, recovery
        from WAL at the next start), stay down `down_s` seconds, start again."""
        self.stop("immediate")
        time.sleep(down_s)  # the outage itself, not a wait for something to happen
        self.start()
        self.restarts += 1

    def create_database(self, name: str) -> str:
        with psycopg.connect(f"{self.url}/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return f"{self.url}/{name}"

    def logs(self, tail: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-tail:] if self.log_path.exists() else ""

    def _ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-w", *args)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", _OWNER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)} -> {done.returncode}\n{done.stdout}{done.stderr}"
                f"\n--- postgres log ---\n{self.logs()}"
            )


@contextmanager
def private_postgres() -> Iterator[PostgresCluster]:
    """A started private cluster, stopped and deleted afterwards.

    Without PostgreSQL's server programs the test fails in CI (`CI=true`) and skips elsewhere.
    """
    bin_dir = _server_programs()
    root = Path(tempfile.mkdtemp(prefix="podium-pg-"))
    try:
        if os.geteuid() == 0:
            owner = pwd.getpwnam(_OWNER)
            os.chown(root, owner.pw_uid, owner.pw_gid)
        cluster = PostgresCluster(root, bin_dir)
        cluster.init()
        cluster.start()
        try:
            yield cluster
        finally:
            cluster.stop("immediate")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _server_programs() -> Path:
    found = shutil.which("initdb")
    candidates = [found] if found else sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    problem = "" if candidates else "PostgreSQL's initdb is not installed"
    if not problem and os.geteuid() == 0:
        try:
            pwd.getpwnam(_OWNER)
        except KeyError:
            problem = f"running as root needs a {_OWNER!r} user to run PostgreSQL"
        if not shutil.which("runuser"):
            problem = "running as root needs runuser to run PostgreSQL as another user"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"cannot start a private PostgreSQL: {problem}", pytrace=False)
        pytest.skip(f"cannot start a private PostgreSQL: {problem}")
    return Path(os.path.realpath(candidates[-1])).parent
