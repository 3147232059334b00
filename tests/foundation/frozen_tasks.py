"""`integrations worker` with a test-only task that defers a live run inside its own transaction
and then idles in it, so a test can freeze the worker (SIGSTOP) holding what that insert locks:

    python -m tests.foundation.frozen_tasks worker --queue frozen

The uncommitted job holds the capability's queueing lock: the next defer of that capability waits
on it. `frozen_runs` gets a committed row once the transaction is open and holding it.
"""

import asyncio
import sys

from worker.app import app
from worker.cli import cli

QUEUE = "frozen"


@app.task(name="tests.defer_and_idle_in_transaction", queue=QUEUE)
async def defer_and_idle_in_transaction(connection_id: str, capability: str, provider: str, marker: str) -> None:
    from worker.tasks.dispatch import defer_live

    async with app.connector.pool.connection() as conn:
        async with conn.transaction():
            await defer_live(connection_id, capability, provider=provider, connection=conn)
            async with app.connector.pool.connection() as other:
                await other.execute("create table if not exists frozen_runs (marker text)")
                await other.execute("insert into frozen_runs values (%s)", (marker,))
            await asyncio.sleep(600)  # the test freezes the process here


if __name__ == "__main__":
    cli(args=sys.argv[1:], prog_name="integrations")
