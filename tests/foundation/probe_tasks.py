"""A test-only task that records each attempt and hangs on the first, to be killed mid-job."""

import asyncio
import sys

from worker.app import app


@app.task(name="tests.probe_hang_once", pass_context=True)
async def probe_hang_once(context, marker: str) -> None:
    async with app.connector.pool.connection() as conn:
        await conn.execute("create table if not exists probe_runs (marker text, job_id bigint, at timestamptz default now())")  # noqa: E501
        cur = await conn.execute("select count(*) from probe_runs where marker = %s", (marker,))
        attempts = (await cur.fetchone())[0]
        await conn.execute("insert into probe_runs (marker, job_id) values (%s, %s)", (marker, context.job.id))
        await conn.commit()
    if attempts == 0:
        await asyncio.sleep(600)


async def _main(url: str) -> None:
    from worker.app import open_app_async

    async with open_app_async(url) as opened:
        await opened.run_worker_async(concurrency=1, wait=True, queues=["probe"])


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1]))
