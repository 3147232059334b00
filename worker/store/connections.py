"""`integrations.connections` reads the async sync code needs (the CLI's writes are in worker/connections.py)."""

from __future__ import annotations

import contextlib

from psycopg.rows import dict_row

from worker.store import query


@contextlib.asynccontextmanager
async def dict_connection(pool):
    """A pooled connection with dict rows, handed back to the pool with its default rows."""
    async with pool.connection() as conn:
        previous = conn.row_factory
        conn.row_factory = dict_row
        try:
            yield conn
        finally:  # the pool hands this connection to code expecting its default rows
            conn.row_factory = previous


async def get_connection_row(pool, connection_id) -> dict | None:
    async with dict_connection(pool) as conn:
        return await fetch_connection(conn, connection_id)


async def fetch_connection(conn, connection_id) -> dict | None:
    """On a dict-row connection, inside the caller's transaction when there is one."""
    return await (await conn.execute(query("connections.get"), {"id": connection_id})).fetchone()
