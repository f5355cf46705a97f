"""A node told not to migrate refuses to serve a database whose schema is behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from podium.cli import app
from tests.support.postgres import postgres_database
from tests.support.server import PodiumProcess, free_port

pytestmark = pytest.mark.acceptance


def _refused(url: str, workdir: Path) -> str:
    cmd = [sys.executable, "-m", "podium", "server", "--port", str(free_port())]
    done = subprocess.run(
        [*cmd, "--db", url, "--no-migrate"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0, done.stdout
    return done.stdout + done.stderr


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_no_migrate_refuses_a_database_behind_then_serves_once_migrated(
    kind: str, tmp_path: Path
) -> None:
    def check(url: str) -> None:
        output = _refused(url, tmp_path)
        assert '"action": "schema_behind"' in output
        assert "podium db migrate" in output
        assert CliRunner().invoke(app, ["db", "migrate", "--db", url]).exit_code == 0
        node = PodiumProcess(tmp_path, "--no-migrate")
        node.db = url
        node.start()  # healthy now
        node.stop()

    if kind == "sqlite":
        check(f"sqlite:///{tmp_path / 'behind.db'}")
    else:
        with postgres_database() as url:
            check(url)
