"""SQLite storage: one file, WAL, one writer (which serialises every decision of a node)."""

from __future__ import annotations

from podium.store.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
