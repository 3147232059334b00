"""`integrations worker --burst`: run jobs until nothing runs and nothing is ready, then exit.

procrastinate's own burst mode (`wait=False`) stops fetching the first time a fetch finds the queue
empty, then waits only `shutdown_graceful_timeout` for the jobs still running: a whole dbt build or a
mailbox backfill longer than that ended `aborted`, and what it would have deferred never ran. Here the
worker runs as a waiting worker (it fetches again whenever a job is deferred or every fetch interval)
and a watcher stops it once it is idle, checked in the database every fetch interval:

    idle = no `doing` job under this worker's id (running, or fetched a moment ago)
           and no job of its queues that procrastinate would fetch now (jobs its jobs deferred included)

A stop for idleness then waits for whatever a last fetch raced in (no timeout); SIGINT/SIGTERM stop it
as any worker, with INTEGRATIONS_SHUTDOWN_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib

from procrastinate.worker import Worker

from worker.store import query


async def run_burst(app, *, queues: list[str] | None, check_seconds: float, **options) -> None:
    worker = Worker(app=app, wait=True, queues=queues, **options)
    watcher = asyncio.create_task(_stop_when_idle(app, worker, queues, check_seconds), name="burst watcher")
    try:
        await worker.run()
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def _stop_when_idle(app, worker: Worker, queues: list[str] | None, check_seconds: float) -> None:
    while True:
        await asyncio.sleep(check_seconds)
        if worker.worker_id is None:  # not registered yet
            continue
        async with app.connector.pool.connection() as conn:
            cursor = await conn.execute(query("burst.busy"), {"worker_id": worker.worker_id, "queues": queues})
            busy = (await cursor.fetchone())[0]
        if not busy:
            worker.shutdown_graceful_timeout = None  # a job a last fetch took runs to its end
            worker.stop()
            return
