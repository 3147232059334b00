"""`integrations worker` with two test-only tasks on the queue `burst`, for the burst-mode tests:

    python -m tests.foundation.burst_tasks worker --burst --queue burst

`tests.burst_long` outlasts the shutdown timeout the test sets, then defers `tests.burst_follow`;
each records its run in `burst_runs`.
"""

import asyncio
import sys

from worker.app import app
from worker.cli import cli

QUEUE = "burst"


async def record(marker: str, step: str) -> None:
    async with app.connector.pool.connection() as conn:
        await conn.execute("create table if not exists burst_runs (marker text, step text, at timestamptz default now())")
        await conn.execute("insert into burst_runs (marker, step) values (%s, %s)", (marker, step))


@app.task(name="tests.burst_long", queue=QUEUE)
async def burst_long(marker: str, seconds: float) -> None:
    await record(marker, "long started")
    await asyncio.sleep(seconds)  # longer than INTEGRATIONS_SHUTDOWN_TIMEOUT_SECONDS in the test
    await burst_follow.defer_async(marker=marker)
    await record(marker, "long done")


@app.task(name="tests.burst_follow", queue=QUEUE)
async def burst_follow(marker: str) -> None:
    await record(marker, "follow")


if __name__ == "__main__":
    cli(args=sys.argv[1:], prog_name="integrations")
