"""Opening connections with errors an operator can act on (host and port named, never a password)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import psycopg
from psycopg.rows import dict_row

from worker.db.url import describe_server
from worker.errors import DatabaseUnavailable, SchemaMissing
from worker.store import query

LATEST_REQUIRED_TABLE = "integrations.raw_heads"


def _unavailable(url: str, error: Exception) -> DatabaseUnavailable:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    # psycopg messages may quote the conninfo; keep only the first line and drop any password
    from urllib.parse import urlsplit

    password = urlsplit(url).password
    if password:
        reason = reason.replace(password, "***")
    return DatabaseUnavailable(f"database at {describe_server(url)} did not answer: {reason}")


def connect(url: str, *, autocommit: bool = False, connect_timeout: int = 10) -> psycopg.Connection:
    try:
        return psycopg.connect(url, autocommit=autocommit, row_factory=dict_row, connect_timeout=connect_timeout)
    except psycopg.OperationalError as error:
        raise _unavailable(url, error) from None


async def aconnect(url: str, *, autocommit: bool = False, connect_timeout: int = 10) -> psycopg.AsyncConnection:
    try:
        return await psycopg.AsyncConnection.connect(
            url, autocommit=autocommit, row_factory=dict_row, connect_timeout=connect_timeout
        )
    except psycopg.OperationalError as error:
        raise _unavailable(url, error) from None


def require_schema(conn: psycopg.Connection) -> None:
    """Commands that need the schema say "migrate" instead of failing with a stack trace."""
    from worker.db.migrate import pending_migrations

    row = conn.execute(query("schema.relation_exists"), {"relation": LATEST_REQUIRED_TABLE}).fetchone()
    if not row["present"] or pending_migrations(conn):
        raise SchemaMissing()


@contextmanager
def session(url: str, *, check_schema: bool = True) -> Iterator[psycopg.Connection]:
    """A connection for one CLI command: committed on success, rolled back on error."""
    conn = connect(url)
    try:
        if check_schema:
            require_schema(conn)
        yield conn
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()
