"""Reads of what is staged and normalized, for reconcile and the settle step of a resync.

The staged side is streamed: a mailbox can hold millions of objects whose payloads are
megabytes, so only (id, labels, status) of each live head leave the server, in batches through a
server-side cursor.
"""

from __future__ import annotations

from typing import AsyncIterator

from worker.store import query

BATCH = 5000


async def stream_staged(conn, connection_id, resource_type: str) -> AsyncIterator[tuple[str, list | None, str | None]]:
    """(external id, labelIds, status) of every live staged object of one resource of a connection.
    `conn` must have dict rows and no transaction open."""
    async with conn.transaction():  # a named cursor lives in a transaction
        cursor = conn.cursor(name="reconcile_staged")
        cursor.itersize = BATCH
        await cursor.execute(query("reconcile.staged_labels"),
                             {"connection_id": connection_id, "resource_type": resource_type})
        async for row in cursor:
            yield row["external_id"], row["labels"], row["status"]


async def stream_staged_field(conn, connection_id, resource_type: str, field: str) -> AsyncIterator[tuple[str, str | None]]:
    """(external id, one top-level payload field as text) of every live staged object of one
    resource of a connection, streamed like `stream_staged`."""
    async with conn.transaction():
        cursor = conn.cursor(name="reconcile_staged_field")
        cursor.itersize = BATCH
        await cursor.execute(query("reconcile.staged_field"),
                             {"connection_id": connection_id, "resource_type": resource_type, "field": field})
        async for row in cursor:
            yield row["external_id"], row["value"]


async def staged_heads(conn, connection_id, resource_type: str, external_ids: list[str]) -> set[str]:
    """The ids among `external_ids` staged (live or tombstone) for this connection and resource."""
    if not external_ids:
        return set()
    rows = await (await conn.execute(query("gmail_live.staged_heads"), {
        "connection_id": connection_id, "resource_type": resource_type, "external_ids": external_ids})).fetchall()
    return {r["external_id"] for r in rows}


async def staged_messages(conn, connection_id, external_ids: list[str]) -> dict[str, dict]:
    """Live staged Gmail messages among `external_ids` with what a format=minimal answer shares."""
    rows = await (await conn.execute(query("gmail_live.staged_messages"), {
        "connection_id": connection_id, "external_ids": external_ids})).fetchall()
    return {r["external_id"]: r for r in rows}


async def relation_exists(conn, relation: str) -> bool:
    return (await (await conn.execute(query("reconcile.relation_exists"), {"relation": relation})).fetchone())["present"]


async def normalized_mailbox_messages(conn, connection_id) -> list[dict] | None:
    """(provider_message_id, labels) of the connection's live mailbox rows; None before normalization."""
    if not await relation_exists(conn, "product.email_mailboxes"):
        return None
    return await (await conn.execute(query("reconcile.normalized_mailbox_messages"),
                                     {"connection_id": connection_id})).fetchall()


async def normalized_meeting_uids(conn, tenant_id) -> set[str] | None:
    if not await relation_exists(conn, "product.meetings"):
        return None
    rows = await (await conn.execute(query("reconcile.normalized_meeting_uids"), {"tenant_id": tenant_id})).fetchall()
    return {r["ical_uid"] for r in rows}


async def due_reconciles(conn, keys: list[str], interval_seconds: int) -> list:
    """Connection ids whose live capabilities (`provider:capability` keys) are due a reconcile."""
    rows = await (await conn.execute(query("reconcile.due"), {"keys": keys, "interval": interval_seconds})).fetchall()
    return [r[0] if isinstance(r, tuple) else r["connection_id"] for r in rows]


async def staged_field_between(conn, connection_id, resource_type: str, field: str, low: str,
                               high: str) -> dict[str, str | None]:
    """external id → one top-level payload field, of the live staged objects with ids in [low, high]."""
    rows = await (await conn.execute(query("reconcile.staged_field_between"), {
        "connection_id": connection_id, "resource_type": resource_type, "field": field,
        "low": low, "high": high})).fetchall()
    return {r["external_id"]: r["value"] for r in rows}


async def normalized_chat_messages(conn, connection_id, since) -> set[str] | None:
    """`channel:ts` of the connection's live chat messages sent from `since` on; None before normalization."""
    if not await relation_exists(conn, "product.chat_messages"):
        return None
    rows = await (await conn.execute(query("reconcile.normalized_chat_messages"),
                                     {"connection_id": connection_id, "since": since})).fetchall()
    return {r["key"] for r in rows}
