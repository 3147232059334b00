"""Issue 31 item 19: `integrations worker --burst` ("drain what is ready, then exit") waited only
INTEGRATIONS_SHUTDOWN_TIMEOUT_SECONDS for the jobs still running when its fetch found the queue empty,
then aborted them (a whole dbt build, a mailbox backfill). Now it waits for running jobs, fetches
again, and exits only when nothing runs and nothing is ready, jobs deferred by its own jobs included."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.foundation.burst_tasks import burst_long
from worker.app import open_app_async

ROOT = Path(__file__).resolve().parents[2]
SHUTDOWN_TIMEOUT = "0.5"
LONG_SECONDS = 3.0  # six times the shutdown timeout


@pytest.mark.asyncio
async def test_burst_waits_for_a_job_longer_than_the_shutdown_timeout_and_runs_what_it_defers(make_database):
    url = make_database.create()
    marker = uuid.uuid4().hex
    async with open_app_async(url, max_size=2):
        long_id = await burst_long.defer_async(marker=marker, seconds=LONG_SECONDS)
    env = {**os.environ, "INTEGRATIONS_DATABASE_URL": url, "INTEGRATIONS_ENCRYPTION_KEYS": "k1:" + "A" * 43 + "=",
           "INTEGRATIONS_SHUTDOWN_TIMEOUT_SECONDS": SHUTDOWN_TIMEOUT, "INTEGRATIONS_WORKER_FETCH_INTERVAL_SECONDS": "0.2"}
    done = subprocess.run([sys.executable, "-m", "tests.foundation.burst_tasks", "worker", "--burst", "--queue",
                           "burst", "--concurrency", "2"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    with psycopg.connect(url) as conn:
        statuses = dict(conn.execute("select task_name, status from procrastinate_jobs"
                                     " where task_name like 'tests.burst%'").fetchall())
        steps = [r[0] for r in conn.execute("select step from burst_runs where marker = %s order by at",
                                            (marker,)).fetchall()]
    assert statuses == {"tests.burst_long": "succeeded", "tests.burst_follow": "succeeded"}, (long_id, statuses)
    assert steps == ["long started", "long done", "follow"]
