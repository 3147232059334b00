"""The Python entry points the CRM and the CLI call: enqueue work, inside one transaction.

Each function records its request and defers its job on the same connection, so either both
exist or neither does.
"""

from __future__ import annotations

import uuid
from typing import Any

from worker.app import open_app_async
from worker.db.connect import aconnect, connect, require_schema
from worker.errors import BadInput
from worker.registry import get_provider


def _check(url: str) -> None:
    with connect(url) as conn:
        require_schema(conn)


async def _connection(aconn, connection_id) -> dict:
    try:
        cid = uuid.UUID(str(connection_id))
    except ValueError:
        raise BadInput(f"connection id must be a UUID, got {connection_id!r}") from None
    from worker.store import query
    row = await (await aconn.execute(query("connections.get"), {"id": cid})).fetchone()
    if row is None:
        from worker.errors import NotFound
        raise NotFound(f"no connection {connection_id}")
    return row


async def send_email(url: str, connection_id, *, to: list[str], subject: str, text: str, html: str | None = None,
                     cc: list[str] | None = None, bcc: list[str] | None = None,
                     attachments: list[dict] | None = None, reply_to_message: str | None = None,
                     draft: bool = False, idempotency_key: str | None = None) -> dict[str, Any]:
    """Queue an email (or draft); the same idempotency key never sends twice."""
    from worker.providers.google.gmail.send import prepare_send
    from worker.providers.google.tasks import send_email as send_task

    _check(url)
    request = {"to": to, "cc": cc or [], "bcc": bcc or [], "subject": subject, "text": text, "html": html,
               "attachments": attachments or [], "reply_to_message": reply_to_message, "draft": draft}
    async with open_app_async(url, max_size=2):
        aconn = await aconnect(url)
        try:
            async with aconn.transaction():
                row = await _connection(aconn, connection_id)
                outbound, created = await prepare_send(aconn, row, request, idempotency_key)
                job_id = None
                if created:
                    job_id = await send_task.configure(connection=aconn, lock=f"send:{outbound['id']}").defer_async(
                        connection_id=str(row["id"]), outbound_id=str(outbound["id"]))
        finally:
            await aconn.close()
    return {"outbound_id": str(outbound["id"]), "job_id": job_id, "message_id": outbound["message_id_header"],
            "status": outbound["status"]}


async def _enabled(url: str, connection_id, capability: str, kind: str) -> dict:
    """The connection, once `capability` is known to be of `kind` and enabled on it."""
    _check(url)
    aconn = await aconnect(url)
    try:
        row = await _connection(aconn, connection_id)
    finally:
        await aconn.close()
    spec = get_provider(row["provider"]).capability(capability)
    if spec.kind != kind:
        other = "`integrations sync now` for live ones" if kind == "once" else "`integrations sync once`"
        raise BadInput(f"{capability} is not a {'manual' if kind == 'once' else 'live'} capability (use {other})")
    if capability not in row["capabilities"]:
        raise BadInput(f"{capability} is not enabled on connection {row['id']}: "
                       f"integrations connections enable {row['id']} {capability}")
    return row


async def sync_once(url: str, connection_id, capability: str, params: dict) -> dict[str, Any]:
    """Queue a manual sync with its parameters; the live cursor is not touched."""
    from worker.providers.google import tasks

    row = await _enabled(url, connection_id, capability, "once")
    task, validated = tasks.once_task(capability, params)
    run_id = uuid.uuid4().hex[:12]
    async with open_app_async(url, max_size=2):
        job_id = await task.configure(lock=f"{row['id']}:{capability}:{run_id}").defer_async(
            connection_id=str(row["id"]), params=validated, run_id=run_id)
    return {"job_id": job_id, "run_id": run_id, "connection_id": str(row["id"]), "capability": capability}


async def sync_now(url: str, connection_id, capability: str) -> dict[str, Any]:
    """Queue a live capability's run now (a no-op when one is already queued)."""
    from worker.providers.google import tasks

    row = await _enabled(url, connection_id, capability, "live")
    async with open_app_async(url, max_size=2):
        job_id = await tasks.defer_live(row["id"], capability)
    return {"job_id": job_id, "already_queued": job_id is None}


async def reconcile(url: str, connection_id, capability: str | None = None, repair: bool = False) -> list[dict]:
    """Reconcile a connection's live capabilities now; results are also stored in sync_state."""
    from worker.reconcile.runner import reconcile_connection

    from worker.providers.google.context import dict_connection

    _check(url)
    async with open_app_async(url, max_size=4) as app:
        async with dict_connection(app.connector.pool) as aconn:
            row = await _connection(aconn, connection_id)
        results = await reconcile_connection(app.connector.pool, row, capability, repair)
    return [r.summary() for r in results]
