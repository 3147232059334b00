"""Periodic reconcile: each live capability is checked (and repaired) once per interval
(default daily), and the result lands in sync_state where `integrations status` shows it."""

from __future__ import annotations

import logging

from procrastinate.exceptions import AlreadyEnqueued

from worker.app import app
from worker.settings import get_settings
from worker.app import MAINTENANCE

logger = logging.getLogger(__name__)

DUE = """
select distinct s.connection_id
from integrations.sync_state s
join integrations.connections c on c.id = s.connection_id and c.status = 'active'
where s.stream = '' and s.status = 'ok' and s.capability = any(c.capabilities)
  and s.capability in ('sync_inbox_live', 'sync_calendar_live')
  and (s.reconcile is null or (s.reconcile ->> 'checked_at')::timestamptz < now() - make_interval(secs => %s))
"""


@app.task(name="reconcile_connection", queue=MAINTENANCE)
async def reconcile_connection(connection_id: str) -> int:
    from worker.providers.google.context import dict_connection
    from worker.reconcile.runner import reconcile_connection as run
    from worker.store import query

    pool = app.connector.pool
    async with dict_connection(pool) as conn:
        row = await (await conn.execute(query("connections.get"), {"id": connection_id})).fetchone()
    if row is None or row["status"] != "active":
        return 0
    results = await run(pool, row, repair=True)
    return sum(r.differences for r in results)


@app.periodic(cron="*/10 * * * *", periodic_id="reconcile_due")
@app.task(name="reconcile_due", queue=MAINTENANCE, queueing_lock="reconcile_due")
async def reconcile_due(timestamp: int) -> int:
    async with app.connector.pool.connection() as conn:
        due = await (await conn.execute(DUE, (get_settings().reconcile_interval_seconds,))).fetchall()
    queued = 0
    for (connection_id,) in due:
        try:
            await reconcile_connection.configure(queueing_lock=f"reconcile:{connection_id}") \
                .defer_async(connection_id=str(connection_id))
            queued += 1
        except AlreadyEnqueued:
            pass
    return queued
