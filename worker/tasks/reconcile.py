"""Periodic reconcile: each live capability is checked (and repaired) once per interval
(default daily), and the result lands in sync_state where `integrations status` shows it."""

from __future__ import annotations

import logging

from procrastinate.exceptions import AlreadyEnqueued

from worker.app import MAINTENANCE, app
from worker.reconcile.runner import reconcilable_keys
from worker.reconcile.runner import reconcile_connection as run
from worker.settings import get_settings
from worker.store.connections import dict_connection, fetch_connection
from worker.store.reads import due_reconciles

logger = logging.getLogger(__name__)


@app.task(name="reconcile_connection", queue=MAINTENANCE)
async def reconcile_connection(connection_id: str) -> int:
    pool = app.connector.pool
    async with dict_connection(pool) as conn:
        row = await fetch_connection(conn, connection_id)
    if row is None or row["status"] != "active":
        return 0
    results = await run(pool, row, repair=True)
    return sum(r.differences for r in results)


@app.periodic(cron="*/10 * * * *", periodic_id="reconcile_due")
@app.task(name="reconcile_due", queue=MAINTENANCE, queueing_lock="reconcile_due")
async def reconcile_due(timestamp: int) -> int:
    async with app.connector.pool.connection() as conn:
        due = await due_reconciles(conn, reconcilable_keys(), get_settings().reconcile_interval_seconds)
    queued = 0
    for connection_id in due:
        try:
            await reconcile_connection.configure(queueing_lock=f"reconcile:{connection_id}") \
                .defer_async(connection_id=str(connection_id))
            queued += 1
        except AlreadyEnqueued:
            pass
    return queued
