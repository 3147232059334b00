"""Slack's tasks on its Blueprint: the live and the manual channel sync, and the post."""

from __future__ import annotations

import procrastinate

from worker.app import app
from worker.providers.slack.blueprint import ACTION_RETRY, blueprint
from worker.providers.slack.channels.live import sync_channels_live as run_live
from worker.providers.slack.channels.once import ChannelsOnceParams
from worker.providers.slack.channels.once import sync_channels_once as run_once
from worker.providers.slack.channels.post import run_post_job
from worker.providers.slack.context import open_slack_context
from worker.sync.tasks import live_task, once_task

sync_channels_live = live_task(blueprint, "sync_channels_live", open_slack_context, run_live)
sync_channels_once = once_task(blueprint, "sync_channels_once", ChannelsOnceParams, open_slack_context, run_once)


@blueprint.task(name="post_message", retry=ACTION_RETRY, pass_context=True)
async def post_message(context: procrastinate.JobContext, connection_id: str, outbound_id: str) -> dict:
    """Retried on failure; exactly-once comes from the outbound row and the metadata lookup."""
    final = context.job.attempts >= ACTION_RETRY.max_attempts
    return await run_post_job(app.connector.pool, connection_id, outbound_id, final_attempt=final)
