"""Outlook mail's tasks on Microsoft's Blueprint: the live and the manual sync."""

from __future__ import annotations

import procrastinate

from worker.app import app
from worker.providers.microsoft.blueprint import ACTION_RETRY, blueprint
from worker.providers.microsoft.context import open_microsoft_context
from worker.providers.microsoft.mail.live import sync_inbox_live as run_live
from worker.providers.microsoft.mail.once import MailOnceParams
from worker.providers.microsoft.mail.once import sync_inbox_once as run_once
from worker.providers.microsoft.mail.send import run_send_job
from worker.sync.tasks import live_task, once_task

SEND_RETRY = ACTION_RETRY

sync_inbox_live = live_task(blueprint, "sync_inbox_live", open_microsoft_context, run_live)
sync_inbox_once = once_task(blueprint, "sync_inbox_once", MailOnceParams, open_microsoft_context, run_once)


@blueprint.task(name="send_email", retry=SEND_RETRY, pass_context=True)
async def send_email(context: procrastinate.JobContext, connection_id: str, outbound_id: str) -> dict:
    """Retried on failure; exactly-once comes from the outbound row and the Message-ID lookup."""
    final = context.job.attempts >= SEND_RETRY.max_attempts
    return await run_send_job(app.connector.pool, connection_id, outbound_id, final_attempt=final)
