"""Google Calendar's procrastinate tasks; they only orchestrate (open context → run → record).

Registered in the shared LIVE_TASKS / ONCE_TASKS so the scheduler, `sync now` and `sync once`
drive Calendar like Gmail.
"""

from __future__ import annotations

import procrastinate

from worker.app import app
from worker.providers.google.tasks import LIVE_TASKS, ONCE_TASKS, run_google

LIVE_TASKS["sync_calendar_live"] = "google.sync_calendar_live"
ONCE_TASKS["sync_calendar_once"] = ("google.sync_calendar_once",
                                    "worker.providers.google.calendar.once:CalendarOnceParams")


@app.task(name="google.sync_calendar_live")
async def sync_calendar_live(connection_id: str) -> dict:
    from worker.providers.google.calendar.live import sync_calendar_live as run

    return await run_google(connection_id, "sync_calendar_live", "calendar", run)


@app.task(name="google.sync_calendar_once")
async def sync_calendar_once(connection_id: str, params: dict, run_id: str) -> dict:
    from worker.providers.google.calendar.once import CalendarOnceParams, sync_calendar_once as run

    return await run_google(connection_id, "sync_calendar_once", "calendar",
                            lambda ctx: run(ctx, CalendarOnceParams.model_validate(params), run_id),
                            stream=f"run:{run_id}")


@app.task(name="google.meeting_action", retry=procrastinate.RetryStrategy(max_attempts=10, exponential_wait=2))
async def meeting_action(connection_id: str, outbound_id: str) -> dict:
    """create/update/cancel_meeting; retried on failure, exactly once thanks to the outbound row.

    A conflict (HTTP 412) is final: the row is failed with both versions and the job is not retried.
    """
    from worker.providers.google.calendar.actions import ACTIONS_STREAM, MeetingConflict, perform_action

    async def work(ctx):
        try:
            row = await perform_action(ctx, outbound_id)
        except MeetingConflict as conflict:
            return {"outbound_id": outbound_id, "status": "conflict", "ours": conflict.ours,
                    "theirs": conflict.theirs}
        return {"outbound_id": str(row["id"]), "status": row["status"], "provider_id": row["provider_id"]}

    return await run_google(connection_id, "sync_calendar_live", "calendar", work, stream=ACTIONS_STREAM)
