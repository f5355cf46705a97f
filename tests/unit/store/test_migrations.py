"""Migrations: idempotent, and a migrated database has exactly the schema the files describe."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from podium.cli import app
from podium.store.migrate import migrations
from podium.store.postgres import PostgresStore
from podium.store.sqlite import SqliteStore
from tests.support.postgres import postgres_database

MIGRATIONS = Path(__file__).parents[3] / "src" / "podium" / "store" / "migrations" / "sqlite"
Schema = list[tuple[str, str, str]]


def schema(path: Path) -> Schema:
    """(type, name, sql) of every schema object but the migration bookkeeping, sorted."""
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute(
            "SELECT type, name, sql FROM sqlite_master"
            " WHERE sql IS NOT NULL AND tbl_name <> 'schema_version'"
        ).fetchall()
    return sorted(rows)


def migrate_with_store(path: Path) -> tuple[list[int], list[int]]:
    """Migrate a database twice through `SqliteStore.migrate`; what each run applied."""

    async def twice() -> tuple[list[int], list[int]]:
        store = SqliteStore(f"sqlite:///{path}", migrate=False)
        await store.open()
        try:
            return store.apply_migrations(), store.apply_migrations()
        finally:
            await store.close()

    return asyncio.run(twice())


def test_the_migration_files_are_the_ones_the_store_applies() -> None:
    files = sorted(p.name for p in MIGRATIONS.glob("*.sql"))
    assert files, "no SQLite migration found"
    assert [f"{m.version:04d}_{m.name}.sql" for m in migrations("sqlite")] == files
    assert [m.version for m in migrations("sqlite")] == list(range(1, len(files) + 1))


def test_migrating_again_applies_nothing(tmp_path: Path) -> None:
    first, second = migrate_with_store(tmp_path / "t.db")
    assert first == [m.version for m in migrations("sqlite")]
    assert 1 in first
    assert second == []

    async def reopen() -> list[int]:
        store = SqliteStore(f"sqlite:///{tmp_path / 't.db'}")  # migrates when it opens
        await store.open()
        try:
            return store.apply_migrations()
        finally:
            await store.close()

    assert asyncio.run(reopen()) == []
    with closing(sqlite3.connect(tmp_path / "t.db")) as conn:
        versions = conn.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    assert versions == [(m.version,) for m in migrations("sqlite")]


def test_a_migrated_database_equals_one_built_from_the_files(tmp_path: Path) -> None:
    migrate_with_store(tmp_path / "migrated.db")
    with closing(sqlite3.connect(tmp_path / "fresh.db")) as conn:
        for path in sorted(MIGRATIONS.glob("*.sql")):
            conn.executescript(path.read_text())
    fresh = schema(tmp_path / "fresh.db")
    assert {name for kind, name, _ in fresh if kind == "table"} >= {"workflow", "task", "queue"}
    assert schema(tmp_path / "migrated.db") == fresh


def test_db_migrate_command(tmp_path: Path) -> None:
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    first = runner.invoke(app, ["db", "migrate", "--db", url])
    assert first.exit_code == 0, first.output
    versions = [m.version for m in migrations("sqlite")]
    assert first.stdout.strip() == f"applied migrations: {versions}"
    again = runner.invoke(app, ["db", "migrate", "--db", url])
    assert again.exit_code == 0, again.output
    assert again.stdout.strip() == "schema is up to date"


def _verify_then_migrate(url: str) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["db", "verify", "--db", url])
    assert missing.exit_code == 1, missing.output
    assert "missing migrations" in missing.output
    assert runner.invoke(app, ["db", "migrate", "--db", url]).exit_code == 0
    verified = runner.invoke(app, ["db", "verify", "--db", url])
    assert verified.exit_code == 0, verified.output
    assert "schema is up to date" in verified.output


def test_db_verify_is_read_only_and_fails_until_migrated(tmp_path: Path) -> None:
    _verify_then_migrate(f"sqlite:///{tmp_path / 'verify.db'}")


def test_db_verify_on_postgresql() -> None:
    with postgres_database() as url:
        _verify_then_migrate(url)


# -- PostgreSQL: an upgraded database equals a fresh one ------------------------------------------
PG_CATALOG = {
    "columns": "SELECT table_name, column_name, ordinal_position, data_type, collation_name,"
    " is_nullable, column_default FROM information_schema.columns"
    " WHERE table_schema = 'public' AND table_name <> 'schema_version'",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes"
    " WHERE schemaname = 'public' AND tablename <> 'schema_version'",
    "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
    " FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
    " AND conrelid <> 'schema_version'::regclass",
    "functions": "SELECT proname, pg_get_functiondef(oid) FROM pg_proc"
    " WHERE pronamespace = 'public'::regnamespace AND prokind = 'f'"
    " AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = pg_proc.oid AND d.deptype = 'e')",
    "triggers": "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger"
    " WHERE NOT tgisinternal",
    "extensions": "SELECT extname FROM pg_extension",
    "statistics": "SELECT attrelid::regclass::text, attname, attstattarget FROM pg_attribute"
    " WHERE attnum > 0 AND attstattarget >= 0 AND attrelid IN (SELECT oid FROM pg_class"
    " WHERE relnamespace = 'public'::regnamespace)",
}
PgSchema = dict[str, list[tuple[object, ...]]]


def pg_schema(url: str) -> PgSchema:
    """Every column, index, constraint, function, trigger, extension and statistics target."""
    with psycopg.connect(url) as conn:
        return {
            kind: sorted(conn.execute(query).fetchall(), key=repr)
            for kind, query in PG_CATALOG.items()
        }


def pg_migrate(url: str) -> list[int]:
    async def migrate() -> list[int]:
        store = PostgresStore(url, migrate=False)
        await store.open()
        try:
            return await store.migrate()
        finally:
            await store.close()

    return asyncio.run(migrate())


def pg_release(url: str, version: int) -> None:
    """The database an earlier release left: its migrations applied and recorded, as it did."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        for migration in migrations("postgres")[:version]:
            conn.execute(migration.sql)
            conn.execute(
                "INSERT INTO schema_version (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )


@pytest.mark.parametrize("version", range(1, len(migrations("postgres"))))
def test_a_postgresql_database_of_an_earlier_release_migrates_to_the_fresh_schema(
    version: int,
) -> None:
    with postgres_database() as fresh, postgres_database() as upgraded:
        pg_migrate(fresh)
        pg_release(upgraded, version)
        applied = pg_migrate(upgraded)
        assert applied == [m.version for m in migrations("postgres")][version:]
        want = pg_schema(fresh)
        assert {row[0] for row in want["columns"]} >= {"workflow", "task", "queue"}
        assert pg_schema(upgraded) == want
