"""Graph change-notification subscriptions: one per live capability and mailbox (`me/messages` for
the mail sync, whatever its folders: a notification only makes the delta sync run; `me/events` for
the calendar sync), created when the capability is live and serve's public URL is known, renewed
(PATCH expirationDateTime) before they expire (Outlook's maximum is 4,230 minutes), deleted when
the capability is disabled or the connection is no longer active.

Each subscription carries a fresh random clientState; only its sha256 is stored (push_watches.
token_hash), and the endpoint compares hashes. Creating one makes Graph validate the URL first
(serve answers the `validationToken`), so serve must be reachable at INTEGRATIONS_PUBLIC_URL.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta, timezone

from worker.providers.microsoft.client.errors import NotFound
from worker.providers.microsoft.context import microsoft_context
from worker.providers.microsoft.settings import microsoft_settings
from worker.store import query
from worker.store.connections import dict_connection

log = logging.getLogger("worker.providers.microsoft.push")
PROVIDER = "microsoft"
PATH = "microsoft"  # POST /webhooks/microsoft: notifications and lifecycle events alike
RESOURCES = {"sync_inbox_live": "me/messages", "sync_calendar_live": "me/events"}
CHANGE_TYPES = "created,updated,deleted"
LIFETIME = timedelta(minutes=4200)  # under Outlook's 4,230-minute maximum, clocks apart
RENEW_AFTER = timedelta(days=1)
RENEW_BEFORE_EXPIRY = timedelta(days=1)


def client_state_hash(client_state: str) -> str:
    return hashlib.sha256(client_state.encode()).hexdigest()


def public_address() -> str | None:
    """serve's public URL + the endpoint; None (no subscriptions) when INTEGRATIONS_PUBLIC_URL is not set."""
    public_url = microsoft_settings().public_url
    return public_url + "/webhooks/" + PATH if public_url else None


def due(row: dict, now: datetime) -> bool:
    return row["renewed_at"] <= now - RENEW_AFTER or row["expires_at"] <= now + RENEW_BEFORE_EXPIRY


def iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


async def reconcile_subscriptions(pool, now: datetime | None = None) -> dict[str, str]:
    """Create, renew or delete what is due: "connection id:capability" -> created, renewed, deleted
    or failed (subscriptions that were not due are not named)."""
    now = now or datetime.now(timezone.utc)
    address = public_address()
    outcomes: dict[str, str] = {}
    for capability, resource in RESOURCES.items():
        async with dict_connection(pool) as conn:
            unwanted = await (await conn.execute(query("push_watches.unwanted"),
                                                 {"provider": PROVIDER, "capability": capability})).fetchall()
            wanted = await (await conn.execute(query("push_watches.wanted_subscriptions"), {
                "provider": PROVIDER, "capability": capability, "resource": resource})).fetchall() if address else []
        for row in unwanted:
            await delete_subscription(pool, row["connection_id"], capability, row["resource"], row["channel_id"])
            outcomes[f"{row['connection_id']}:{capability}"] = "deleted"
        for row in wanted:
            if row["channel_id"] is not None and not due(row, now):
                continue
            try:
                outcome = await keep_subscription(pool, row["id"], capability, row["channel_id"], address, now)
            except Exception as error:  # noqa: BLE001 - one mailbox's failure must not stop the others'
                outcome = "failed"
                log.warning("connection %s: Graph subscription for %s failed (%s); retried at the next run,"
                            " polling meanwhile", row["id"], capability, type(error).__name__)
            outcomes[f"{row['id']}:{capability}"] = outcome
    return outcomes


async def keep_subscription(pool, connection_id, capability: str, subscription_id: str | None, address: str,
                            now: datetime) -> str:
    """Renew `subscription_id` (PATCH), or create one when there is none or Graph no longer has it."""
    expires = datetime.now(timezone.utc) + LIFETIME  # Graph checks it against its own clock
    async with microsoft_context(pool, connection_id, capability) as ctx:
        if subscription_id is not None:
            try:
                answer = await ctx.client.call("PATCH", f"/subscriptions/{subscription_id}",
                                               json_body={"expirationDateTime": iso(expires)})
            except NotFound:
                log.info("connection %s: Graph subscription %s is gone; creating a new one", connection_id,
                         subscription_id)
            else:
                await _store(pool, connection_id, capability, subscription_id, None, answer, now)
                return "renewed"
        client_state = secrets.token_urlsafe(32)
        answer = await ctx.client.call("POST", "/subscriptions", idempotent=False, json_body={
            "changeType": CHANGE_TYPES, "notificationUrl": address, "lifecycleNotificationUrl": address,
            "resource": RESOURCES[capability], "expirationDateTime": iso(expires), "clientState": client_state})
    await _store(pool, connection_id, capability, answer["id"], client_state_hash(client_state), answer, now)
    return "created" if subscription_id is None else "recreated"


async def reauthorize_subscription(pool, connection_id, capability: str, subscription_id: str) -> str:
    """Graph's `reauthorizationRequired`: reauthorize it (a new one when Graph no longer has it)."""
    try:
        async with microsoft_context(pool, connection_id, capability) as ctx:
            await ctx.client.call("POST", f"/subscriptions/{subscription_id}/reauthorize", expect_json=False)
        return "reauthorized"
    except NotFound:
        address = public_address()
        if address is None:
            return "failed"
        return await keep_subscription(pool, connection_id, capability, None, address, datetime.now(timezone.utc))


async def delete_subscription(pool, connection_id, capability: str, resource: str, subscription_id: str | None) -> None:
    """DELETE at Graph, then the row is forgotten either way: a subscription that cannot be deleted
    (revoked grant) expires within 3 days, and its notifications find no row (404)."""
    if subscription_id:
        try:
            async with microsoft_context(pool, connection_id, capability) as ctx:
                await ctx.client.call("DELETE", f"/subscriptions/{subscription_id}", expect_json=False)
        except NotFound:
            pass
        except Exception as error:  # noqa: BLE001
            log.warning("connection %s: Graph subscription %s not deleted (%s); it expires by itself",
                        connection_id, subscription_id, type(error).__name__)
    async with dict_connection(pool) as conn:
        await conn.execute(query("push_watches.delete"),
                           {"connection_id": connection_id, "capability": capability, "resource": resource})
        await conn.commit()


async def _store(pool, connection_id, capability: str, subscription_id: str, token_hash: str | None, answer,
                 now: datetime) -> None:
    """A new subscription's row (its secret's hash), or a renewed one's new expiry (`token_hash` None)."""
    params = {"connection_id": connection_id, "capability": capability, "resource": RESOURCES[capability],
              "channel_id": subscription_id, "resource_id": None, "token_hash": token_hash, "now": now,
              "expires_at": datetime.fromisoformat(str(answer["expirationDateTime"]).replace("Z", "+00:00"))}
    async with dict_connection(pool) as conn:
        await conn.execute(query("push_watches.upsert" if token_hash else "push_watches.renewed"), params)
        await conn.commit()
