"""The periodic task that keeps Google's watches (Gmail users.watch, Calendar channels): every 10
minutes (a new connection gets its watch soon), each watch renewed only when due (gmail_watch.due: daily)."""

from __future__ import annotations

from collections import Counter

from worker.app import app
from worker.providers.google.blueprint import blueprint
from worker.providers.google.push.calendar_watch import reconcile_calendar_watches
from worker.providers.google.push.gmail_watch import reconcile_gmail_watches


@blueprint.periodic(cron="*/10 * * * *", periodic_id="google_push_watches")
@blueprint.task(name="renew_push_watches", queueing_lock="google_push_watches", pass_context=False)
async def renew_push_watches(timestamp: int) -> dict[str, int]:
    """How many watches were created, renewed, stopped, or failed (each failure is logged)."""
    gmail = await reconcile_gmail_watches(app.connector.pool)
    calendar = await reconcile_calendar_watches(app.connector.pool)
    return dict(Counter(gmail.values()) + Counter(calendar.values()))
