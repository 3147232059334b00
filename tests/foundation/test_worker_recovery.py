"""A worker killed with SIGKILL leaves its job in `doing`; the periodic recovery puts it back."""

import os
import signal
import subprocess
import sys
import time
import uuid

import psycopg

from tests.foundation.probe_tasks import probe_hang_once
from worker.app import open_app_async
from worker.tasks.maintenance import retry_stalled_jobs_now


def _job_status(url, job_id):
    with psycopg.connect(url) as conn:
        return conn.execute("select status from procrastinate_jobs where id = %s", (job_id,)).fetchone()[0]


def _runs(url, marker):
    with psycopg.connect(url) as conn:
        if conn.execute("select to_regclass('probe_runs') is null").fetchone()[0]:
            return 0
        return conn.execute("select count(*) from probe_runs where marker = %s", (marker,)).fetchone()[0]


def _heartbeat_older_than(url, job_id, seconds):
    """The observable the stalled-job query reads: the job's worker heartbeat age, by the database's clock."""
    with psycopg.connect(url) as conn:
        return conn.execute("select now() - w.last_heartbeat > make_interval(secs => %s) from procrastinate_jobs j"
                            " join procrastinate_workers w on w.id = j.worker_id where j.id = %s",
                            (seconds, job_id)).fetchone()[0]


def _wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


async def test_job_of_a_killed_worker_is_retried_and_completes(make_database):
    url = make_database.create()
    marker = uuid.uuid4().hex
    async with open_app_async(url):
        job_id = await probe_hang_once.configure(queue="probe").defer_async(marker=marker)

    proc = subprocess.Popen([sys.executable, "-m", "tests.foundation.probe_tasks", url],
                            cwd=os.getcwd(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert _wait_for(lambda: _job_status(url, job_id) == "doing"), "worker never picked the job"
        assert _wait_for(lambda: _runs(url, marker) == 1), "the job never started its work"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _job_status(url, job_id) == "doing"  # procrastinate alone would leave it there forever

    async with open_app_async(url) as app:
        assert await retry_stalled_jobs_now(seconds_since_heartbeat=60) == []  # heartbeat still recent
        assert _wait_for(lambda: _heartbeat_older_than(url, job_id, 2)), "the dead worker's heartbeat never aged"
        assert await retry_stalled_jobs_now(seconds_since_heartbeat=2) == [job_id]
        assert _job_status(url, job_id) == "todo"
        await app.run_worker_async(concurrency=1, wait=False, queues=["probe"])

    assert _job_status(url, job_id) == "succeeded"
    with psycopg.connect(url) as conn:
        runs = conn.execute("select job_id, at from probe_runs where marker = %s order by at", (marker,)).fetchall()
        job = conn.execute("select attempts, worker_id from procrastinate_jobs where id = %s", (job_id,)).fetchone()
    assert len(runs) == 2, f"runs {runs}, job (attempts, worker) {job}"


async def test_a_stalled_job_whose_work_is_queued_again_is_closed_not_retried(make_database):
    """A live sync killed mid-run, with the next run of the same sync already queued under the
    same queueing lock: retrying the dead one would violate the lock; it is closed instead, and
    the queued run (which waits on the same lock) goes ahead."""
    url = make_database.create()
    marker = uuid.uuid4().hex
    async with open_app_async(url):
        first = await probe_hang_once.configure(queue="probe", lock="q", queueing_lock="q").defer_async(marker=marker)
    proc = subprocess.Popen([sys.executable, "-m", "tests.foundation.probe_tasks", url],
                            cwd=os.getcwd(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert _wait_for(lambda: _runs(url, marker) == 1), "the job never started its work"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    async with open_app_async(url) as app:
        second = await probe_hang_once.configure(queue="probe", lock="q", queueing_lock="q").defer_async(marker=marker)
        assert _wait_for(lambda: _heartbeat_older_than(url, first, 2)), "the dead worker's heartbeat never aged"
        assert await retry_stalled_jobs_now(seconds_since_heartbeat=2) == []
        assert _job_status(url, first) == "failed"
        await app.run_worker_async(concurrency=1, wait=False, queues=["probe"])
    assert _job_status(url, second) == "succeeded"
    assert _runs(url, marker) == 2
