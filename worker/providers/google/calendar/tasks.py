"""Google Calendar's tasks on Google's Blueprint: live and manual syncs, meeting actions."""

from __future__ import annotations

from worker.providers.google.blueprint import ACTION_RETRY, blueprint, run_google
from worker.providers.google.calendar.actions import ACTIONS_STREAM, MeetingConflict, perform_action
from worker.providers.google.calendar.live import sync_calendar_live as run_live
from worker.providers.google.calendar.once import CalendarOnceParams
from worker.providers.google.calendar.once import sync_calendar_once as run_once
from worker.providers.google.context import open_google_context
from worker.sync.tasks import live_task, once_task

sync_calendar_live = live_task(blueprint, "sync_calendar_live", open_google_context, run_live)
sync_calendar_once = once_task(blueprint, "sync_calendar_once", CalendarOnceParams, open_google_context, run_once)


@blueprint.task(name="meeting_action", retry=ACTION_RETRY)
async def meeting_action(connection_id: str, outbound_id: str) -> dict:
    """create/update/cancel_meeting; retried on failure, exactly once thanks to the outbound row.

    A conflict (HTTP 412) is final: the row is failed with both versions and the job is not retried.
    """
    async def work(ctx):
        try:
            row = await perform_action(ctx, outbound_id)
        except MeetingConflict as conflict:
            return {"outbound_id": outbound_id, "status": "conflict", "ours": conflict.ours,
                    "theirs": conflict.theirs}
        return {"outbound_id": str(row["id"]), "status": row["status"], "provider_id": row["provider_id"]}

    return await run_google(connection_id, "sync_calendar_live", work, stream=ACTIONS_STREAM)
