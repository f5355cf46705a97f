"""WAL checkpoints in a background thread, so their fsyncs never stall the event loop.

With automatic checkpoints, the commit that pushes the WAL past its limit copies the WAL back into
the database file and syncs both, inline: milliseconds during which the server answers nobody.
Here the server's connection never checkpoints; this thread does, on its own connection
(sqlite3 releases the GIL while it waits on the disk).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading

__all__ = ["Checkpointer"]

log = logging.getLogger("podium.store.sqlite")


class Checkpointer:
    """Runs `PRAGMA wal_checkpoint(PASSIVE)` every `interval_s` until stopped."""

    def __init__(self, path: str, interval_s: float = 0.5) -> None:
        self.path = path
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread, then truncate the WAL (a clean file for backups and restarts)."""
        self._stop.set()
        self._thread.join(timeout=10)
        self._checkpoint("TRUNCATE")

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._checkpoint("PASSIVE")

    def _checkpoint(self, mode: str) -> None:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=5)
        except sqlite3.Error as exc:
            log.warning(
                "checkpoint failed", extra={"action": "checkpoint_failed", "error": str(exc)}
            )
            return
        with contextlib.closing(conn):
            try:
                conn.execute(f"PRAGMA wal_checkpoint({mode})")
            except sqlite3.Error as exc:
                log.warning(
                    "checkpoint failed", extra={"action": "checkpoint_failed", "error": str(exc)}
                )
