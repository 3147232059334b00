"""Microsoft's push tasks: the periodic one that keeps the Graph subscriptions (every 10 minutes, so a
new connection gets its subscriptions soon; each renewed only when due), and the one a lifecycle
event defers (reauthorize, or recreate a removed subscription)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

from worker.app import app
from worker.providers.microsoft.blueprint import blueprint
from worker.providers.microsoft.push.subscriptions import (
    delete_subscription,
    keep_subscription,
    public_address,
    reauthorize_subscription,
    reconcile_subscriptions,
)
from worker.store import query
from worker.store.connections import dict_connection


@blueprint.periodic(cron="*/10 * * * *", periodic_id="microsoft_push_subscriptions")
@blueprint.task(name="renew_push_subscriptions", queueing_lock="microsoft_push_subscriptions", pass_context=False)
async def renew_push_subscriptions(timestamp: int) -> dict[str, int]:
    """How many subscriptions were created, renewed, deleted, or failed (each failure is logged)."""
    return dict(Counter((await reconcile_subscriptions(app.connector.pool)).values()))


@blueprint.task(name="subscription_lifecycle", pass_context=False)
async def subscription_lifecycle(connection_id: str, capability: str, subscription_id: str, event: str) -> str:
    return await handle_lifecycle(app.connector.pool, connection_id, capability, subscription_id, event)


async def handle_lifecycle(pool, connection_id: str, capability: str, subscription_id: str, event: str) -> str:
    """What a lifecycle event asked for, done: reauthorized, recreated, or skipped (the subscription
    is no longer ours to keep: capability disabled, connection inactive, or already replaced)."""
    async with dict_connection(pool) as conn:
        row = await (await conn.execute(query("push_watches.by_channel"), {"channel_id": subscription_id})).fetchone()
        wanted = await (await conn.execute(query("push_watches.wanted_subscriptions"), {
            "provider": "microsoft", "capability": capability, "resource": row["resource"] if row else ""})).fetchall()
    if row is None or str(row["connection_id"]) != connection_id or not any(str(w["id"]) == connection_id for w in wanted):
        return "skipped"
    if event == "reauthorizationRequired":
        return await reauthorize_subscription(pool, connection_id, capability, subscription_id)
    address = public_address()
    if address is None:  # no public URL any more: the row goes, polling carries on
        await delete_subscription(pool, connection_id, capability, row["resource"], None)
        return "skipped"
    return await keep_subscription(pool, connection_id, capability, None, address, datetime.now(timezone.utc))
