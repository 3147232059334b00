"""Outlook calendar's tasks on Microsoft's Blueprint: live and manual syncs, meeting actions."""

from __future__ import annotations

from worker.app import app
from worker.providers.microsoft.blueprint import ACTION_RETRY, blueprint
from worker.providers.microsoft.calendar.actions import ACTIONS_STREAM, perform_action
from worker.providers.microsoft.calendar.live import sync_calendar_live as run_live
from worker.providers.microsoft.calendar.once import CalendarOnceParams
from worker.providers.microsoft.calendar.once import sync_calendar_once as run_once
from worker.providers.microsoft.context import open_microsoft_context
from worker.sync.meetings import MeetingConflict
from worker.sync.outcome import run_capability
from worker.sync.tasks import live_task, once_task

sync_calendar_live = live_task(blueprint, "sync_calendar_live", open_microsoft_context, run_live)
sync_calendar_once = once_task(blueprint, "sync_calendar_once", CalendarOnceParams, open_microsoft_context, run_once)


@blueprint.task(name="meeting_action", retry=ACTION_RETRY)
async def meeting_action(connection_id: str, outbound_id: str) -> dict:
    """create/update/cancel_meeting; retried on failure, exactly once thanks to the outbound row and
    Graph's transactionId. A conflict (HTTP 412) is final: the row is failed with both versions."""
    pool = app.connector.pool

    async def body() -> dict:
        async with open_microsoft_context(pool, connection_id, "sync_calendar_live") as ctx:
            try:
                row = await perform_action(ctx, outbound_id)
            except MeetingConflict as conflict:
                return {"outbound_id": outbound_id, "status": "conflict", "ours": conflict.ours,
                        "theirs": conflict.theirs}
        return {"outbound_id": outbound_id, "status": row["status"], "provider_id": row["provider_id"]}

    return await run_capability(pool, connection_id, "sync_calendar_live", body, stream=ACTIONS_STREAM)
