"""The periodic task that keeps Google's watches: every 10 minutes (a new connection gets its watch
soon), each watch renewed only when due (gmail_watch.due: daily)."""

from __future__ import annotations

from collections import Counter

from worker.app import app
from worker.providers.google.blueprint import blueprint
from worker.providers.google.push.gmail_watch import reconcile_gmail_watches


@blueprint.periodic(cron="*/10 * * * *", periodic_id="google_push_watches")
@blueprint.task(name="renew_push_watches", queueing_lock="google_push_watches", pass_context=False)
async def renew_push_watches(timestamp: int) -> dict[str, int]:
    """How many watches were created, renewed, stopped, or failed (each failure is logged)."""
    return dict(Counter((await reconcile_gmail_watches(app.connector.pool)).values()))
