"""The scheduler: every live capability of every provider runs when its `next_run_at` is due."""

from __future__ import annotations

from worker.app import MAINTENANCE, app
from worker.tasks.dispatch import schedule_due_live_syncs


# every 10 s, so a capability runs within 10 s of its next_run_at (a minute tick would round
# a 60 s interval up to 120 s: each run ends just after the tick that started it)
@app.periodic(cron="* * * * * */10", periodic_id="schedule_live_syncs")
@app.task(name="schedule_live_syncs", queue=MAINTENANCE, queueing_lock="schedule_live_syncs")
async def schedule_live_syncs(timestamp: int) -> int:
    return await schedule_due_live_syncs()


app.add_task_alias(schedule_live_syncs, "google.schedule_live_syncs")  # its name before the registry's scheduler
