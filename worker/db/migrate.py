"""Applies `sql/` migrations in order, each in its own transaction, then procrastinate's schema.

Migrations are recorded in `integrations.schema_migrations`; re-running is a no-op. An advisory
lock serializes concurrent migrators (several workers starting at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg

from worker.resources import sql_dir
from worker.store import query

SQL_DIR = sql_dir()
MIGRATION_LOCK_KEY = 7_320_001

BOOKKEEPING = """
create schema if not exists integrations;
create table if not exists integrations.schema_migrations (
    version    text primary key,
    name       text not null,
    applied_at timestamptz not null default now()
);
"""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path


def available_migrations(sql_dir: Path = SQL_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(sql_dir.glob("*.sql")):
        version, _, name = path.stem.partition("_")
        if not version.isdigit():
            continue
        migrations.append(Migration(version=version, name=name, path=path))
    return migrations


def applied_versions(conn: psycopg.Connection) -> set[str]:
    present = conn.execute(query("schema.relation_exists"), {"relation": "integrations.schema_migrations"}).fetchone()
    if not _first(present):
        return set()
    return {_first(row) for row in conn.execute(query("schema.applied_migrations"))}


def pending_migrations(conn: psycopg.Connection) -> list[Migration]:
    done = applied_versions(conn)
    return [m for m in available_migrations() if m.version not in done]


def _first(row):
    if row is None:
        return None
    return next(iter(row.values())) if isinstance(row, dict) else row[0]


def procrastinate_schema_present(conn: psycopg.Connection) -> bool:
    return bool(_first(conn.execute(query("schema.relation_exists"), {"relation": "public.procrastinate_jobs"}).fetchone()))


def migrate(conn: psycopg.Connection) -> list[str]:
    """Apply what is missing; return a line per step taken (empty when already up to date)."""
    from procrastinate.schema import SchemaManager

    done: list[str] = []
    conn.commit()
    previous_autocommit = conn.autocommit
    conn.autocommit = True  # so each `transaction()` below is a real transaction, not a savepoint
    conn.execute(query("schema.lock_migrations"), {"key": MIGRATION_LOCK_KEY})
    try:
        with conn.transaction():
            conn.execute(BOOKKEEPING)
        if not procrastinate_schema_present(conn):
            with conn.transaction():
                conn.execute(SchemaManager.get_schema())
            done.append("applied procrastinate schema")
        already = applied_versions(conn)
        for migration in available_migrations():
            if migration.version in already:
                continue
            with conn.transaction():
                conn.execute(migration.path.read_text())
                conn.execute(
                    "insert into integrations.schema_migrations (version, name) values (%s, %s)",
                    (migration.version, migration.name),
                )
            done.append(f"applied {migration.path.name}")
    finally:
        conn.execute(query("schema.unlock_migrations"), {"key": MIGRATION_LOCK_KEY})
        conn.autocommit = previous_autocommit
    return done
