"""Gmail watches: `users.watch` on the Pub/Sub topic for each connection with the live inbox sync,
renewed daily (a watch expires after 7 days; Google advises calling watch daily), `users.stop` once
the capability is disabled or the connection is no longer active.

Run by the periodic task (watch_tasks.py); `now` is a parameter so tests advance the clock instead of
waiting. A failure for one connection is logged and retried at the next run; the others go on (and
polling still syncs that mailbox meanwhile).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from worker.providers.google.capabilities import InboxLiveSettings
from worker.providers.google.context import google_context
from worker.providers.google.push.settings import google_push_settings
from worker.store import query
from worker.store.connections import dict_connection

log = logging.getLogger("worker.providers.google.push")
CAPABILITY = "sync_inbox_live"
RENEW_AFTER = timedelta(days=1)
RENEW_BEFORE_EXPIRY = timedelta(days=2)
WATCH_UNITS, STOP_UNITS = 100, 50  # Gmail's quota units of users.watch and users.stop
SYSTEM_LABELS = {"INBOX", "SENT", "SPAM", "TRASH", "DRAFT", "UNREAD", "STARRED", "IMPORTANT"}


def watch_request(topic: str, settings: dict | None) -> dict:
    """The labels the sync reads filter the pushes when they are all system labels (their ids are
    their names); a user label's id is not its name, so then every change is pushed."""
    labels = InboxLiveSettings.model_validate(settings or {}).labels
    body = {"topicName": topic}
    if set(labels) <= SYSTEM_LABELS:
        body.update(labelIds=list(labels), labelFilterBehavior="include")
    return body


def due(row: dict, now: datetime) -> bool:
    return (row["expires_at"] is None or row["renewed_at"] <= now - RENEW_AFTER
            or row["expires_at"] <= now + RENEW_BEFORE_EXPIRY)


async def reconcile_gmail_watches(pool, now: datetime | None = None) -> dict[str, str]:
    """Create or renew the watches that are due, stop the unwanted ones: connection id -> created,
    renewed, failed or stopped (connections whose watch was not due are not named)."""
    now = now or datetime.now(timezone.utc)
    topic = google_push_settings().pubsub_topic
    outcomes: dict[str, str] = {}
    async with dict_connection(pool) as conn:
        wanted = await (await conn.execute(query("push_watches.wanted_gmail"))).fetchall() if topic else []
        unwanted = await (await conn.execute(query("push_watches.unwanted"),
                                             {"provider": "google", "capability": CAPABILITY})).fetchall()
    for row in wanted:
        if not due(row, now):
            continue
        try:
            expires_at = await _watch(pool, row["id"], topic)
        except Exception as error:  # noqa: BLE001 - one mailbox's failure must not stop the others'
            outcomes[str(row["id"])] = "failed"
            log.warning("connection %s: Gmail users.watch failed (%s); retried at the next run, polling meanwhile",
                        row["id"], type(error).__name__)
            continue
        async with dict_connection(pool) as conn:
            await conn.execute(query("push_watches.upsert"), {
                "connection_id": row["id"], "capability": CAPABILITY, "resource": "", "channel_id": None,
                "resource_id": None, "token_hash": None, "expires_at": expires_at, "now": now})
            await conn.commit()
        outcomes[str(row["id"])] = "renewed" if row["expires_at"] else "created"
    for row in unwanted:
        await stop_gmail_watch(pool, row["connection_id"])
        outcomes[str(row["connection_id"])] = "stopped"
    return outcomes


async def _watch(pool, connection_id, topic: str) -> datetime:
    async with google_context(pool, connection_id, "gmail") as ctx:
        settings = (ctx.connection.get("settings") or {}).get(CAPABILITY)
        answer = await ctx.client.call("POST", ctx.endpoints.gmail + "/users/me/watch", units=WATCH_UNITS,
                                       json_body=watch_request(topic, settings))
    return datetime.fromtimestamp(int(answer["expiration"]) / 1000, tz=timezone.utc)


async def stop_gmail_watch(pool, connection_id) -> bool:
    """`users.stop`, then the row is forgotten either way: a watch that cannot be stopped (revoked
    grant) ends by itself within 7 days, and its pushes find no enabled capability meanwhile."""
    stopped = True
    try:
        async with google_context(pool, connection_id, "gmail") as ctx:
            await ctx.client.call("POST", ctx.endpoints.gmail + "/users/me/stop", units=STOP_UNITS, expect_json=False)
    except Exception as error:  # noqa: BLE001
        stopped = False
        log.warning("connection %s: Gmail users.stop failed (%s); the watch expires by itself",
                    connection_id, type(error).__name__)
    async with dict_connection(pool) as conn:
        await conn.execute(query("push_watches.delete"),
                           {"connection_id": connection_id, "capability": CAPABILITY, "resource": ""})
        await conn.commit()
    return stopped
