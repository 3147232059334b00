"""Gmail's tasks on Google's Blueprint: live and manual syncs, sends."""

from __future__ import annotations

import procrastinate

from worker.app import app
from worker.providers.google.blueprint import ACTION_RETRY, blueprint
from worker.providers.google.context import open_google_context
from worker.providers.google.gmail.actions import run_send_job
from worker.providers.google.gmail.live import sync_inbox_live as run_live
from worker.providers.google.gmail.once import InboxOnceParams
from worker.providers.google.gmail.once import sync_inbox_once as run_once
from worker.sync.actions import resume_waiting_sends as resume_actions
from worker.sync.tasks import live_task, once_task

SEND_RETRY = ACTION_RETRY
SEND_TASK = "google:send_email"  # by name: configuring by name binds the Blueprint first in any process

sync_inbox_live = live_task(blueprint, "sync_inbox_live", open_google_context, run_live)
sync_inbox_once = once_task(blueprint, "sync_inbox_once", InboxOnceParams, open_google_context, run_once)


@blueprint.task(name="send_email", retry=SEND_RETRY, pass_context=True)
async def send_email(context: procrastinate.JobContext, connection_id: str, outbound_id: str) -> dict:
    """Retried on failure; exactly-once comes from the outbound row, not from the queue."""
    final = context.job.attempts >= SEND_RETRY.max_attempts
    return await run_send_job(app.connector.pool, connection_id, outbound_id, final_attempt=final)


def resume_waiting_sends(conn, connection_id) -> int:
    """After a reconnect: queue every Gmail send that waited for it (worker/sync/actions.py)."""
    return resume_actions(conn, connection_id, SEND_TASK)
