"""Health that notices time passing: a capability nobody synced, and workers that stopped beating.

A failure is recorded when a run fails; when no run happens at all (every worker stopped), nothing
is recorded and the last state stays `ok`. So time itself is checked: a live capability is
*overdue* when its last success (its connection's creation, when it never succeeded) is older than
INTEGRATIONS_OVERDUE_FACTOR intervals -- the push poll interval while pushes arrive, else the sync
interval. The database collector (worker/store/metrics.sql `live_sync`) applies the same rule in SQL.
"""

from __future__ import annotations

from datetime import datetime, timezone

from worker.settings import get_settings
from worker.store import query


def interval_of(push: str | None) -> int:
    """The seconds between two runs of a live capability: longer while pushes arrive."""
    settings = get_settings()
    return settings.push_poll_interval_seconds if push == "receiving" else settings.sync_interval_seconds


def is_overdue(last_success_at: datetime | None, since: datetime, interval_seconds: float,
               now: datetime | None = None) -> bool:
    """Silent for more than INTEGRATIONS_OVERDUE_FACTOR intervals (since `since` if never successful)."""
    now = now or datetime.now(timezone.utc)
    reference = last_success_at or since
    return (now - reference).total_seconds() > interval_seconds * get_settings().overdue_factor


def workers(conn) -> list[dict]:
    """procrastinate's registered workers, newest heartbeat first, each with `alive`."""
    return conn.execute(query("metrics.workers"),
                        {"stalled_seconds": get_settings().stalled_job_seconds}).fetchall()
