"""Calendar watch channels: `events.watch` per calendar in scope of each live calendar sync, renewed
before expiry (a new channel first, then the old one stopped: no gap), `channels.stop` for calendars
out of scope, disabled capabilities and inactive connections. The token of each channel is a fresh
secret; only its sha256 is stored (the endpoint compares hashes).
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import datetime, timedelta, timezone

from worker.providers.google.capabilities import CalendarLiveSettings
from worker.providers.google.context import google_context
from worker.providers.google.push.calendar_endpoint import PATH, token_hash
from worker.providers.google.push.settings import google_push_settings
from worker.store import query
from worker.store.connections import dict_connection

log = logging.getLogger("worker.providers.google.push")
CAPABILITY = "sync_calendar_live"
TTL_SECONDS = 7 * 86400
RENEW_AFTER = timedelta(days=1)
RENEW_BEFORE_EXPIRY = timedelta(days=2)


def public_address() -> str | None:
    """serve's public URL + the endpoint; None (no channels) when INTEGRATIONS_PUBLIC_URL is not set."""
    public_url = google_push_settings().public_url
    return public_url + "/webhooks/" + PATH if public_url else None


def due(row: dict | None, now: datetime) -> bool:
    return (row is None or row["renewed_at"] <= now - RENEW_AFTER
            or row["expires_at"] <= now + RENEW_BEFORE_EXPIRY)


async def reconcile_calendar_watches(pool, now: datetime | None = None) -> dict[str, str]:
    """connection id -> created, renewed, stopped or failed (the last thing done to it)."""
    now = now or datetime.now(timezone.utc)
    address = public_address()
    outcomes: dict[str, str] = {}
    async with dict_connection(pool) as conn:
        wanted = (await (await conn.execute(query("push_watches.wanted"), {"capability": CAPABILITY})).fetchall()
                  if address else [])
        unwanted = await (await conn.execute(query("push_watches.unwanted"),
                                             {"provider": "google", "capability": CAPABILITY})).fetchall()
    for row in unwanted:
        await _stop(pool, row)
        outcomes[str(row["connection_id"])] = "stopped"
    for row in wanted:
        try:
            outcome = await _keep(pool, row, address, now)
        except Exception as error:  # noqa: BLE001 - one account's failure must not stop the others'
            outcome = "failed"
            log.warning("connection %s: Calendar events.watch failed (%s); retried at the next run, polling meanwhile",
                        row["id"], type(error).__name__)
        if outcome:
            outcomes[str(row["id"])] = outcome
    return outcomes


async def _keep(pool, row: dict, address: str, now: datetime) -> str | None:
    settings = CalendarLiveSettings.model_validate((row["settings"] or {}).get(CAPABILITY) or {})
    async with dict_connection(pool) as conn:
        existing = {w["resource"]: w for w in await (await conn.execute(
            query("push_watches.of_connection"), {"connection_id": row["id"]})).fetchall()
            if w["capability"] == CAPABILITY}
    outcome = None
    async with google_context(pool, row["id"], "calendar") as ctx:
        calendars = settings.calendars
        if calendars == "all":
            listed = await ctx.client.call("GET", ctx.endpoints.calendar + "/users/me/calendarList", units=1)
            calendars = [item["id"] for item in listed.get("items", [])]
        for calendar_id in calendars:
            old = existing.get(calendar_id)
            if not due(old, now):
                continue
            token = secrets.token_urlsafe(32)
            channel = await ctx.client.call(
                "POST", ctx.endpoints.calendar + f"/calendars/{calendar_id}/events/watch", units=1,
                json_body={"id": str(uuid.uuid4()), "type": "web_hook", "address": address, "token": token,
                           "params": {"ttl": str(TTL_SECONDS)}})
            async with dict_connection(pool) as conn:
                await conn.execute(query("push_watches.upsert"), {
                    "connection_id": row["id"], "capability": CAPABILITY, "resource": calendar_id,
                    "channel_id": channel["id"], "resource_id": channel["resourceId"], "token_hash": token_hash(token),
                    "expires_at": datetime.fromtimestamp(int(channel["expiration"]) / 1000, tz=timezone.utc),
                    "now": now})
                await conn.commit()
            if old is not None:  # the new channel is stored: the old one can go
                await _stop_channel(ctx, old["channel_id"], old["resource_id"])
            outcome = "renewed" if old else "created"
        for calendar_id, old in existing.items():
            if calendar_id not in calendars:  # out of scope now
                await _stop_channel(ctx, old["channel_id"], old["resource_id"])
                await _forget(pool, row["id"], calendar_id)
                outcome = "stopped"
    return outcome


async def _stop_channel(ctx, channel_id: str, resource_id: str) -> None:
    try:
        await ctx.client.call("POST", ctx.endpoints.calendar + "/channels/stop", units=1, expect_json=False,
                              json_body={"id": channel_id, "resourceId": resource_id})
    except Exception as error:  # noqa: BLE001 - it expires by itself; its notifications find no channel (404)
        log.warning("Calendar channels.stop of %s failed (%s); it expires by itself", channel_id, type(error).__name__)


async def _stop(pool, row: dict) -> None:
    try:
        async with google_context(pool, row["connection_id"], "calendar") as ctx:
            await _stop_channel(ctx, row["channel_id"], row["resource_id"])
    except Exception as error:  # noqa: BLE001 - a revoked grant: the channel expires by itself
        log.warning("connection %s: Calendar channel not stopped (%s); it expires by itself",
                    row["connection_id"], type(error).__name__)
    await _forget(pool, row["connection_id"], row["resource"])


async def _forget(pool, connection_id, resource: str) -> None:
    async with dict_connection(pool) as conn:
        await conn.execute(query("push_watches.delete"),
                           {"connection_id": connection_id, "capability": CAPABILITY, "resource": resource})
        await conn.commit()
