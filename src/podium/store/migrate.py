"""Numbered plain-SQL migrations, shared by the SQL dialects.

Files live in `podium/store/migrations/<dialect>/NNNN_name.sql` and are applied in order; each
applied version is recorded in `schema_version`, so running them again does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

__all__ = ["Migration", "migrations"]


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered schema change."""

    version: int
    name: str
    sql: str


def migrations(dialect: str) -> list[Migration]:
    """Every migration of a dialect, in version order."""
    folder = resources.files("podium.store").joinpath("migrations", dialect)
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append(Migration(int(number), rest.removesuffix(".sql"), entry.read_text()))
    return sorted(found, key=lambda m: m.version)
