"""Gmail's tasks on Google's Blueprint: live and manual syncs, sends."""

from __future__ import annotations

import procrastinate
from procrastinate.manager import JobManager

from worker.app import app
from worker.providers.google.blueprint import ACTION_RETRY, blueprint, run_google
from worker.providers.google.gmail.actions import run_send_job
from worker.providers.google.gmail.live import sync_inbox_live as run_live
from worker.providers.google.gmail.actions import run_send_job
from worker.store import query
from worker.providers.google.gmail.once import InboxOnceParams, sync_inbox_once as run_once

SEND_RETRY = ACTION_RETRY
SEND_TASK = "google:send_email"  # by name: configuring by name binds the Blueprint first in any process


@blueprint.task(name="sync_inbox_live")
async def sync_inbox_live(connection_id: str) -> dict:
    return await run_google(connection_id, "sync_inbox_live", run_live)


@blueprint.task(name="sync_inbox_once")
async def sync_inbox_once(connection_id: str, params: dict, run_id: str) -> dict:
    return await run_google(connection_id, "sync_inbox_once",
                            lambda ctx: run_once(ctx, InboxOnceParams.model_validate(params), run_id),
                            stream=f"run:{run_id}")


@blueprint.task(name="send_email", retry=SEND_RETRY, pass_context=True)
async def send_email(context: procrastinate.JobContext, connection_id: str, outbound_id: str) -> dict:
    """Retried on failure; exactly-once comes from the outbound row, not from the queue."""
    final = context.job.attempts >= SEND_RETRY.max_attempts
    return await run_send_job(app.connector.pool, connection_id, outbound_id, final_attempt=final)


def resume_waiting_sends(conn, connection_id) -> int:
    """After a reconnect: queue every send that waited for it, in the caller's (sync) transaction.

    The jobs are inserted on `conn` itself through a job manager of their own, so they exist only
    if the reconnect commits, and the shared app's connector (maybe serving a worker in this
    process) is never swapped.
    """
    rows = conn.execute(query("outbound.resume_waiting_sends"), {"connection_id": connection_id}).fetchall()
    manager = JobManager(procrastinate.SyncPsycopgConnector())
    for row in rows:
        job = app.configure_task(name=SEND_TASK, lock=f"send:{row['id']}").make_new_job(
            connection_id=str(row["connection_id"]), outbound_id=str(row["id"]))
        manager.defer_job(job, connection=conn)
    return len(rows)
