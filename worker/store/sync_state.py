"""`integrations.sync_state`: one row per (connection, capability, stream) — cursor, health, schedule."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from worker.store import query

MAX_ERROR_CHARS = 2000


def stream_key(connection_id, capability: str, stream: str = "") -> dict:
    return {"connection_id": connection_id, "capability": capability, "stream": stream}


async def ensure_row(conn, key: dict) -> None:
    await conn.execute(query("sync_state.lock"), key)


async def load_cursor_locked(conn, key: dict) -> dict | None:
    """The stored cursor (the row is created first when missing); needs a dict-row connection."""
    await ensure_row(conn, key)
    row = await (await conn.execute(query("sync_state.get"), key)).fetchone()
    return row["cursor"]


async def save_cursor(conn, key: dict, cursor: dict, expected: dict | None) -> bool:
    """Compare-and-swap: False when another writer moved the cursor since `expected` was read."""
    saved = await conn.execute(query("sync_state.save_cursor"), {
        **key, "cursor": Jsonb(cursor), "expected": None if expected is None else Jsonb(expected)})
    return saved.rowcount == 1


async def mark_full_sync(conn, key: dict, reason: str) -> None:
    await conn.execute(query("sync_state.mark_full_sync"), {**key, "reason": reason})


async def record_success(conn, key: dict, interval: int) -> None:
    await conn.execute(query("sync_state.succeed"), {**key, "interval": interval})


async def record_failure(conn, key: dict, status: str, error: str, interval: int) -> None:
    await conn.execute(query("sync_state.fail"), {**key, "status": status, "error": error[:MAX_ERROR_CHARS],
                                                  "interval": interval})


async def due_live(conn, capabilities: list[str], push_poll_seconds: int) -> list[tuple]:
    """(connection_id, tenant_id, provider, capability) of live capabilities whose run is due
    (those receiving pushes: every `push_poll_seconds`, the safety net)."""
    return await (await conn.execute(query("sync_state.due_live"),
                                     {"capabilities": capabilities, "push_poll_seconds": push_poll_seconds})).fetchall()


async def save_reconcile(conn, key: dict, summary: dict) -> None:
    await ensure_row(conn, key)
    await conn.execute(query("reconcile.save"), {**key, "result": Jsonb(summary)})


async def record_item_failures(conn, item: dict, capability: str, failures) -> None:
    """Each (external id, error) of a page as an open item failure, retried later with backoff."""
    for external_id, error in failures:
        await conn.execute(query("item_failures.record"), {**item, "capability": capability,
                                                           "external_id": external_id,
                                                           "error": error[:MAX_ERROR_CHARS]})


async def resolve_item_failures(conn, item: dict, external_ids: list[str], resolution: str) -> None:
    if external_ids:
        await conn.execute(query("item_failures.resolve"), {**item, "external_ids": external_ids,
                                                            "resolution": resolution})


async def due_item_failures(conn, connection_id, capability: str, limit: int) -> list[dict]:
    return await (await conn.execute(query("item_failures.due"), {
        "connection_id": connection_id, "capability": capability, "limit": limit})).fetchall()
