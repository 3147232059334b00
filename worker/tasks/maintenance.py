"""Housekeeping: recovery of jobs whose worker died (procrastinate 3 leaves them in `doing`
forever otherwise), old finished jobs, superseded raw versions past their retention.

A worker heartbeats every few seconds; a `doing` job whose worker has been silent for
`stalled_job_seconds` is put back to `todo`. The task carries a queueing lock, never a lock, so a
stalled run of it can never block the next one.
"""

from __future__ import annotations

import asyncio
import logging

from procrastinate.exceptions import UniqueViolation
from procrastinate.jobs import Status

from worker.app import MAINTENANCE, app
from worker.settings import get_settings

logger = logging.getLogger(__name__)



async def retry_stalled_jobs_now(seconds_since_heartbeat: float | None = None) -> list[int]:
    """Put every stalled job back in the queue; returns the ids of those retried."""
    threshold = seconds_since_heartbeat if seconds_since_heartbeat is not None else get_settings().stalled_job_seconds
    stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=threshold)
    retried = []
    for job in stalled:
        try:
            await app.job_manager.retry_job(job)
        except UniqueViolation:
            # a run of the same work already waits under this job's queueing lock: that run
            # replaces it, and closing this one frees the lock the waiting run needs
            await app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
            logger.warning("closed stalled job %s (%s): an equivalent job is already queued", job.id, job.task_name)
            continue
        logger.warning("retrying job %s (%s): its worker stopped heartbeating", job.id, job.task_name)
        retried.append(job.id)
    return retried


@app.periodic(cron="* * * * *", periodic_id="retry_stalled_jobs")
@app.task(name="retry_stalled_jobs", queue=MAINTENANCE, queueing_lock="retry_stalled_jobs", pass_context=False)
async def retry_stalled_jobs(timestamp: int) -> int:
    return len(await retry_stalled_jobs_now())


@app.periodic(cron="17 * * * *", periodic_id="delete_old_jobs")
@app.task(name="delete_old_jobs", queue=MAINTENANCE, queueing_lock="delete_old_jobs")
async def delete_old_jobs(timestamp: int) -> None:
    """Finished jobs slow worker start-up; keep a day of them for inspection."""
    await app.job_manager.delete_old_jobs(nb_hours=24, include_failed=False)


def prune_raw_versions_now(url: str, days: int) -> int:
    """Delete superseded raw versions older than `days` (worker/store/retention.py)."""
    from worker.db.connect import connect
    from worker.store.retention import prune_superseded_versions

    with connect(url) as conn:
        return prune_superseded_versions(conn, days)


@app.periodic(cron="37 * * * *", periodic_id="prune_raw_versions")
@app.task(name="prune_raw_versions", queue=MAINTENANCE, queueing_lock="prune_raw_versions", pass_context=False)
async def prune_raw_versions(timestamp: int) -> int:
    """Hourly: with INTEGRATIONS_RAW_RETENTION_DAYS set, superseded raw versions older than that
    are deleted (unset: everything is kept). Runs in a thread: a large delete must not stop the
    worker's heartbeat."""
    from worker.db.url import resolve_database_url

    settings = get_settings()
    if settings.raw_retention_days is None:
        return 0
    return await asyncio.to_thread(prune_raw_versions_now, resolve_database_url(settings),
                                   settings.raw_retention_days)
