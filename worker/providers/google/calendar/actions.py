"""CRM → Google meetings: `create_meeting`, `update_meeting`, `cancel_meeting`, each exactly once.

The entry functions record an `integrations.outbound` row and defer `google.meeting_action` in one
transaction. The job:
- create: inserts with a client-chosen event id derived from the idempotency key, so a retry after
  Google already accepted the insert gets 409 and records the existing event instead of a second;
- update: PATCH with `If-Match: <etag we last saw>` (newest staged raw record of that event); a 412
  fails the action with `MeetingConflict` carrying our requested change and Google's current event,
  never overwriting it;
- cancel: DELETE with the same If-Match; an already cancelled event (a retried attempt) is success.
The event Google now holds is staged as a `calendar.event` raw record, like any synced version.
They need `calendar.events`, granted only when `sync_calendar_live` has `two_way: true`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import timedelta
from typing import Any

from worker.errors import BadInput
from worker.providers.google.calendar.api import RESOURCE, CalendarApi, external_id
from worker.providers.google.capabilities import CALENDAR_EVENTS
from worker.providers.google.client.errors import Conflict, CursorExpired
from worker.store import query
from worker.store.staging import RawObject, astage_records
from worker.sync.actions import record_outbound
from worker.sync.meetings import ACTIONS, MeetingConflict, MeetingFields, validate_meeting_request  # noqa: F401

CAPABILITY = "sync_calendar_live"  # two-way writes are a setting of the live capability
ACTIONS_STREAM = "actions"  # sync_state row recording the action jobs' failures


def event_body(fields: MeetingFields, request_id: str) -> dict:
    """The Event resource fields to send (only those given: updates are patches)."""
    body: dict[str, Any] = {}
    for name, key in (("title", "summary"), ("description", "description"), ("location", "location")):
        value = getattr(fields, name)
        if value is not None:
            body[key] = value
    if fields.start:
        zone = {"timeZone": fields.time_zone} if fields.time_zone else {}
        body["start"] = {"dateTime": fields.start.isoformat(), **zone}
        body["end"] = {"dateTime": fields.end.isoformat(), **zone}
    elif fields.start_date:
        body["start"] = {"date": fields.start_date.isoformat()}
        body["end"] = {"date": (fields.end_date or fields.start_date + timedelta(days=1)).isoformat()}
    if fields.attendees is not None:
        body["attendees"] = [{"email": address} for address in fields.attendees]
    if fields.conference:
        body["conferenceData"] = {"createRequest": {"requestId": request_id,
                                                    "conferenceSolutionKey": {"type": "hangoutsMeet"}}}
    return body


def event_id_for(connection_id, idempotency_key: str) -> str:
    """A deterministic base32hex (`[a-v0-9]`) event id: the same key always names the same event."""
    digest = hashlib.sha256(f"{connection_id}:{idempotency_key}".encode()).digest()[:20]
    return base64.b32hexencode(digest).decode().lower().rstrip("=")


def check_two_way(connection: dict) -> None:
    settings = (connection["settings"] or {}).get(CAPABILITY) or {}
    if CAPABILITY not in connection["capabilities"] or not settings.get("two_way"):
        raise BadInput(f"meeting actions need {CAPABILITY} with two_way=true on connection {connection['id']}")
    if CALENDAR_EVENTS not in (connection["granted_scopes"] or []):
        raise BadInput(f"connection {connection['id']} has not granted calendar.events: reconnect with two_way")


async def prepare_action(aconn, connection: dict, action: str, request: dict,
                         idempotency_key: str | None = None) -> tuple[dict, bool]:
    """Validate and record the request; the same idempotency key returns the first row (and False)."""
    check_two_way(connection)
    validated = validate_meeting_request(action, request)
    key = idempotency_key or str(uuid.uuid4())
    stored = {"calendar_id": request.get("calendar_id") or "primary",
              "event_id": request.get("event_id") or event_id_for(connection["id"], key),
              **validated.model_dump(mode="json", exclude_none=True, exclude_defaults=True)}
    return await record_outbound(aconn, connection, action, stored, key)


# -- the job ---------------------------------------------------------------------------------------
async def last_seen(ctx, calendar_id: str, event_id: str) -> dict | None:
    async with ctx.db() as conn:
        row = await (await conn.execute(query("reconcile.newest_payload"), {
            "connection_id": ctx.connection_id, "resource_type": RESOURCE,
            "external_id": external_id(calendar_id, event_id)})).fetchone()
    return row["payload"] if row else None


def applied(body: dict, event: dict) -> bool:
    """Google's event already holds every field we asked for (an earlier attempt succeeded)."""
    return all(event.get(key) == value for key, value in body.items() if key != "conferenceData")


async def _fail_conflict(ctx, row: dict, ours: dict, theirs: dict, calendar_id: str) -> MeetingConflict:
    conflict = MeetingConflict("Google", external_id(calendar_id, row["request"]["event_id"]), ours, theirs)
    async with ctx.db() as conn, conn.transaction():
        await astage_records(conn, ctx.connection_id, ctx.tenant_id, CAPABILITY, RESOURCE,
                             [RawObject(external_id(calendar_id, theirs["id"]), theirs,
                                        is_deleted=theirs.get("status") == "cancelled")])
        await conn.execute(query("outbound.fail_conflict"), {
            "id": row["id"],
            "error": json.dumps({"error": "conflict", "message": str(conflict), "ours": ours, "theirs": theirs})})
    return conflict


async def perform_action(ctx, outbound_id) -> dict:
    """Run one recorded action; returns the outbound row (done), or raises MeetingConflict."""
    async with ctx.db() as conn:
        row = await (await conn.execute(query("outbound.start_attempt"), {"id": outbound_id})).fetchone()
    if row is None:  # done or failed already
        async with ctx.db() as conn:
            return await (await conn.execute(query("outbound.get"), {"id": outbound_id})).fetchone()
    api = CalendarApi(ctx)
    request = row["request"]
    calendar_id, event_id = api.resolve(request["calendar_id"]), request["event_id"]
    fields = MeetingFields.model_validate({k: v for k, v in request.items() if k not in ("calendar_id", "event_id")})
    params = {"sendUpdates": fields.send_updates} if fields.send_updates else {}
    if fields.conference:
        params["conferenceDataVersion"] = 1
    body = event_body(fields, request_id=row["idempotency_key"])
    if row["action"] == "create_meeting":
        try:
            event = await api.insert_event(calendar_id, {**body, "id": event_id}, params)
        except Conflict as error:
            if error.status != 409:
                raise
            event = await api.get_event(calendar_id, event_id)  # our earlier attempt made it
    else:
        seen = await last_seen(ctx, calendar_id, event_id) or await api.get_event(calendar_id, event_id)
        ours = {**seen, **body} if row["action"] == "update_meeting" else {**seen, "status": "cancelled"}
        try:
            if row["action"] == "update_meeting":
                event = await api.patch_event(calendar_id, event_id, body, params, seen.get("etag"))
            else:
                await api.delete_event(calendar_id, event_id, params, seen.get("etag"))
                event = await api.get_event(calendar_id, event_id)
        except (Conflict, CursorExpired) as error:
            theirs = await api.get_event(calendar_id, event_id)
            done = (applied(body, theirs) if row["action"] == "update_meeting"
                    else theirs.get("status") == "cancelled")
            if not (done and (row["attempts"] > 1 or isinstance(error, CursorExpired))):
                if isinstance(error, CursorExpired):
                    raise
                raise await _fail_conflict(ctx, row, ours, theirs, calendar_id) from None
            event = theirs
    async with ctx.db() as conn, conn.transaction():
        await astage_records(conn, ctx.connection_id, ctx.tenant_id, CAPABILITY, RESOURCE,
                             [RawObject(external_id(calendar_id, event["id"]), event,
                                        is_deleted=event.get("status") == "cancelled")])
        return await (await conn.execute(query("outbound.done"), {
            "id": row["id"], "provider_id": event["id"], "thread_id": None})).fetchone()
