"""The Python entry points the CRM and the CLI call: enqueue work, inside one transaction.

Each action records its request and defers its job on the same connection, so either both exist
or neither does. What runs is the registry's: the connection's provider declares each action and
capability with its task, so nothing here names a provider.
"""

from __future__ import annotations

import base64
import contextlib
import json
import mimetypes
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

from psycopg.rows import dict_row

from worker.app import open_app_async
from worker.db.connect import aconnect, connect, require_schema
from worker.db.timeouts import LockTimeout, is_lock_timeout
from worker.errors import BadInput, NotFound
from worker.reconcile.runner import reconcile_connection
from worker.registry import get_provider
from worker.settings import get_settings
from worker.store import query
from worker.store.connections import dict_connection, fetch_connection
from worker.tasks.dispatch import bind, defer_live, task_of


def check_schema(url: str) -> None:
    with connect(url) as conn:
        require_schema(conn)


async def connection_row(aconn, connection_id) -> dict:
    try:
        cid = uuid.UUID(str(connection_id))
    except ValueError:
        raise BadInput(f"connection id must be a UUID, got {connection_id!r}") from None
    row = await fetch_connection(aconn, cid)
    if row is None:
        raise NotFound(f"no connection {connection_id}")
    return row


async def queue_action(url: str, connection_id, action: str, request: dict,
                       idempotency_key: str | None = None) -> tuple[dict, int | None]:
    """Record an outbound action and defer its job in one transaction; a known idempotency key
    returns the first row and queues nothing. Returns (outbound row, job id or None)."""
    check_schema(url)
    async with open_app_async(url, max_size=2) as app:
        aconn = await aconnect(url)
        aconn.row_factory = dict_row
        try:
            async with aconn.transaction():
                row = await connection_row(aconn, connection_id)
                provider = get_provider(row["provider"])
                spec = provider.actions.get(action)
                if spec is None:
                    raise BadInput(f"{provider.name} connections cannot {action.replace('_', ' ')}")
                if spec.capability is not None:
                    _check_granted(provider, spec.capability, row)
                outbound, created = await spec.prepare(aconn, row, request=request, idempotency_key=idempotency_key)
                job_id = None
                if created:
                    bind(provider)
                    job_id = await app.tasks[provider.task_name(spec.task)] \
                        .configure(connection=aconn, lock=spec.lock(row, outbound)) \
                        .defer_async(connection_id=str(row["id"]), outbound_id=str(outbound["id"]))
        finally:
            await aconn.close()
    return outbound, job_id


def _check_granted(provider, capability: str, row: dict) -> None:
    """The action's capability is enabled and its scopes granted, or BadInput with the remedy."""
    if capability not in row["capabilities"]:
        raise BadInput(f"{capability} is not enabled on connection {row['id']}")
    missing = provider.capability(capability).missing_scopes(row)
    if missing:
        raise BadInput(f"{capability} on connection {row['id']} lacks the scopes {' '.join(sorted(missing))}: "
                       f"reconnect with `integrations connect {provider.name} --account {row['account_id']}"
                       f" --capability {capability} ...`")


def attachment_from_file(path: str) -> dict:
    """An attachment as `send_email` takes it: name, content type, base64 content."""
    file = Path(path)
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    return {"filename": file.name, "content_type": content_type,
            "data_b64": base64.b64encode(file.read_bytes()).decode()}


async def send_email(url: str, connection_id, *, to: list[str], subject: str, text: str, html: str | None = None,
                     cc: list[str] | None = None, bcc: list[str] | None = None,
                     attachments: list[dict] | None = None, reply_to_message: str | None = None,
                     draft: bool = False, idempotency_key: str | None = None) -> dict[str, Any]:
    """Queue an email (or draft); the same idempotency key never sends twice."""
    request = {"to": to, "cc": cc or [], "bcc": bcc or [], "subject": subject, "text": text, "html": html,
               "attachments": attachments or [], "reply_to_message": reply_to_message, "draft": draft}
    outbound, job_id = await queue_action(url, connection_id, "send_email", request, idempotency_key)
    return {"outbound_id": str(outbound["id"]), "job_id": job_id, "message_id": outbound["message_id_header"],
            "status": outbound["status"]}


async def post_message(url: str, connection_id, *, channel: str, text: str, thread_ts: str | None = None,
                       idempotency_key: str | None = None) -> dict[str, Any]:
    """Queue a chat message (a thread reply with `thread_ts`); the same idempotency key never posts twice."""
    request = {"channel": channel, "text": text, **({"thread_ts": thread_ts} if thread_ts else {})}
    outbound, job_id = await queue_action(url, connection_id, "post_message", request, idempotency_key)
    return {"outbound_id": str(outbound["id"]), "job_id": job_id, "status": outbound["status"]}


async def send_sms(url: str, connection_id, *, to: str, body: str, from_: str | None = None,
                   idempotency_key: str | None = None) -> dict[str, Any]:
    """Queue a text message (SMS) from a connected Twilio account; the same idempotency key never
    sends twice. Numbers are normalized to E.164; a bad number is BadInput and records nothing.
    The sender is `from_`, else the connection's send_sms setting (from_number or messaging_service_sid)."""
    outbound, job_id = await queue_action(url, connection_id, "send_sms",
                                          {"to": to, "body": body, "from": from_}, idempotency_key)
    request = outbound["request"]
    return {"outbound_id": str(outbound["id"]), "job_id": job_id, "to": request["to"],
            "from": request.get("from") or request.get("messaging_service_sid"), "status": outbound["status"]}


def _clean(request: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in request.items()
            if v is not None and v is not False}


async def _meeting(url: str, connection_id, action: str, request: dict, idempotency_key: str | None) -> dict:
    outbound, job_id = await queue_action(url, connection_id, action, _clean(request), idempotency_key)
    return {"outbound_id": str(outbound["id"]), "job_id": job_id, "event_id": outbound["request"]["event_id"],
            "status": outbound["status"]}


async def create_meeting(url: str, connection_id, *, title: str, start: datetime | str | None = None,
                         end: datetime | str | None = None, start_date: date | str | None = None,
                         end_date: date | str | None = None, time_zone: str | None = None,
                         description: str | None = None, location: str | None = None,
                         attendees: list[str] | None = None, conference: bool = False,
                         send_updates: str | None = None, calendar_id: str = "primary",
                         idempotency_key: str | None = None) -> dict[str, Any]:
    request = {"calendar_id": calendar_id, "title": title, "start": start, "end": end, "start_date": start_date,
               "end_date": end_date, "time_zone": time_zone, "description": description, "location": location,
               "attendees": attendees, "conference": conference, "send_updates": send_updates}
    return await _meeting(url, connection_id, "create_meeting", request, idempotency_key)


async def update_meeting(url: str, connection_id, event_id: str, *, calendar_id: str = "primary",
                         idempotency_key: str | None = None, **changes) -> dict[str, Any]:
    """`changes`: any of title, description, location, start/end, start_date/end_date, time_zone,
    attendees, conference, send_updates; only those are changed."""
    return await _meeting(url, connection_id, "update_meeting",
                          {"calendar_id": calendar_id, "event_id": event_id, **changes}, idempotency_key)


async def cancel_meeting(url: str, connection_id, event_id: str, *, calendar_id: str = "primary",
                         send_updates: str | None = None, idempotency_key: str | None = None) -> dict[str, Any]:
    return await _meeting(url, connection_id, "cancel_meeting",
                          {"calendar_id": calendar_id, "event_id": event_id, "send_updates": send_updates},
                          idempotency_key)


async def action_result(url: str, outbound_id) -> dict[str, Any]:
    """The outbound row of an action; a conflict's `ours`/`theirs` versions are decoded."""
    aconn = await aconnect(url)
    try:
        aconn.row_factory = dict_row
        row = await (await aconn.execute(query("outbound.get"), {"id": outbound_id})).fetchone()
    finally:
        await aconn.close()
    if row is None:
        raise BadInput(f"no outbound action {outbound_id}")
    result = dict(row)
    if row["status"] == "failed" and row["last_error"] and row["last_error"].startswith("{"):
        result["conflict"] = json.loads(row["last_error"])
    return result


async def _enabled(url: str, connection_id, capability: str, kind: str) -> dict:
    """The connection, once `capability` is known to be of `kind` and enabled on it."""
    check_schema(url)
    aconn = await aconnect(url)
    aconn.row_factory = dict_row
    try:
        row = await connection_row(aconn, connection_id)
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


@contextlib.asynccontextmanager
async def _deferring(url: str, what: str):
    """The app open for a defer that waits at most INTEGRATIONS_DEFER_LOCK_TIMEOUT_SECONDS for a lock
    (a frozen worker's transaction may hold it), then fails saying so instead of hanging."""
    seconds = get_settings().defer_lock_timeout_seconds
    try:
        async with open_app_async(url, max_size=2, timeouts={"lock_timeout": seconds}) as opened:
            yield opened
    except Exception as error:
        if is_lock_timeout(error):
            raise LockTimeout(what, seconds) from None
        raise


async def sync_once(url: str, connection_id, capability: str, params: dict) -> dict[str, Any]:
    """Queue a manual sync with its parameters (validated by the capability's params model); the
    live cursor is not touched."""
    row = await _enabled(url, connection_id, capability, "once")
    provider = get_provider(row["provider"])
    spec = provider.capability(capability)
    validated = spec.validate_params(params)
    run_id = uuid.uuid4().hex[:12]
    async with _deferring(url, f"{capability} not queued"):
        job_id = await task_of(provider, spec).configure(lock=f"{row['id']}:{capability}:{run_id}").defer_async(
            connection_id=str(row["id"]), params=validated, run_id=run_id)
    return {"job_id": job_id, "run_id": run_id, "connection_id": str(row["id"]), "capability": capability}


async def sync_now(url: str, connection_id, capability: str) -> dict[str, Any]:
    """Queue a live capability's run now (a no-op when one is already queued)."""
    row = await _enabled(url, connection_id, capability, "live")
    async with _deferring(url, f"{capability} not queued"):
        job_id = await defer_live(row["id"], capability, provider=row["provider"])
    return {"job_id": job_id, "already_queued": job_id is None}


async def reconcile(url: str, connection_id, capability: str | None = None, repair: bool = False) -> list[dict]:
    """Reconcile a connection's live capabilities now; results are also stored in sync_state."""
    check_schema(url)
    async with open_app_async(url, max_size=4) as app:
        async with dict_connection(app.connector.pool) as aconn:
            row = await connection_row(aconn, connection_id)
        results = await reconcile_connection(app.connector.pool, row, capability, repair)
    return [r.summary() for r in results]
