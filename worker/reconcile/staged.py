"""The staged side of a reconcile, streamed: a mailbox can hold millions of objects whose payloads
are megabytes, so only (id, labels, status) of each live head leave the server, in batches
through a server-side cursor."""

from __future__ import annotations

from typing import AsyncIterator

from worker.store import query

BATCH = 5000


async def stream_staged(ctx, resource_type: str) -> AsyncIterator[tuple[str, list[str] | None, str | None]]:
    """(external id, labelIds, status) of every live staged object of one resource of a connection."""
    async with ctx.db() as conn, conn.transaction():  # a named cursor lives in a transaction
        cursor = conn.cursor(name="reconcile_staged")
        cursor.itersize = BATCH
        await cursor.execute(query("reconcile.staged_labels"),
                             {"connection_id": ctx.connection_id, "resource_type": resource_type})
        async for row in cursor:
            yield row["external_id"], row["labels"], row["status"]
