"""Twilio's tasks on its Blueprint: the two live syncs and the send."""

from __future__ import annotations

import procrastinate

from worker.app import app
from worker.providers.twilio.blueprint import ACTION_RETRY, blueprint
from worker.providers.twilio.context import open_twilio_context
from worker.providers.twilio.live import sync_calls_live as run_calls
from worker.providers.twilio.live import sync_sms_live as run_sms
from worker.providers.twilio.send import run_send_job
from worker.sync.tasks import live_task

sync_sms_live = live_task(blueprint, "sync_sms_live", open_twilio_context, run_sms)
sync_calls_live = live_task(blueprint, "sync_calls_live", open_twilio_context, run_calls)


@blueprint.task(name="send_sms", retry=ACTION_RETRY, pass_context=True)
async def send_sms(context: procrastinate.JobContext, connection_id: str, outbound_id: str) -> dict:
    """Retried on failure; exactly-once comes from the outbound row and the lookup of an earlier send."""
    final = context.job.attempts >= ACTION_RETRY.max_attempts
    return await run_send_job(app.connector.pool, connection_id, outbound_id, final_attempt=final)
