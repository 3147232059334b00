"""CRM → Outlook meetings: `create_meeting`, `update_meeting`, `cancel_meeting`, each exactly once.

- create: Graph's `transactionId` (derived from the idempotency key) makes a retried create answer
  the event the first attempt made, never a second one; the new event's id is the action's result;
- update: PATCH with `If-Match: <@odata.etag we last saw>`; a 412 fails the action with
  `MeetingConflict` carrying our change and Outlook's current event, never overwriting it;
- cancel: the organizer's `/cancel` with the same If-Match; an event already cancelled or gone (a
  retried attempt) is success.
The event Outlook now holds is staged as an `outlook.event` like any synced version. They need
Calendars.ReadWrite, granted only when `sync_calendar_live` has `two_way: true`.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta, timezone
from typing import Any

from worker.errors import BadInput
from worker.providers.microsoft.calendar.api import EVENT, CalendarApi
from worker.providers.microsoft.capabilities import CALENDARS_READWRITE, DEFAULT_CALENDAR
from worker.providers.microsoft.client.errors import Conflict, NotFound
from worker.store import query
from worker.store.staging import RawObject, astage_records
from worker.sync.actions import record_outbound
from worker.sync.meetings import MeetingConflict, MeetingFields, validate_meeting_request

CAPABILITY = "sync_calendar_live"  # two-way writes are a setting of the live capability
ACTIONS_STREAM = "actions"
TRANSACTIONS = uuid.UUID("6f1c2a8e-3b5d-4e7f-9a10-0c2d4e6f8a1b")  # namespace of our transactionIds


def check_two_way(connection: dict) -> None:
    settings = (connection["settings"] or {}).get(CAPABILITY) or {}
    if CAPABILITY not in connection["capabilities"] or not settings.get("two_way"):
        raise BadInput(f"meeting actions need {CAPABILITY} with two_way=true on connection {connection['id']}")
    if CALENDARS_READWRITE not in (connection["granted_scopes"] or []):
        raise BadInput(f"connection {connection['id']} has not granted Calendars.ReadWrite: reconnect with two_way")


async def prepare_action(aconn, connection: dict, action: str, request: dict,
                         idempotency_key: str | None = None) -> tuple[dict, bool]:
    """Validate and record the request; the same idempotency key returns the first row (and False).
    A create's event id is Outlook's, known once it is done (`action_result`'s provider_id)."""
    check_two_way(connection)
    validated = validate_meeting_request(action, request)
    key = idempotency_key or str(uuid.uuid4())
    calendar = request.get("calendar_id") or DEFAULT_CALENDAR
    stored = {"calendar_id": DEFAULT_CALENDAR if calendar == "primary" else calendar,
              "event_id": request.get("event_id"),
              **validated.model_dump(mode="json", exclude_none=True, exclude_defaults=True)}
    if action == "create_meeting":
        stored["transaction_id"] = str(uuid.uuid5(TRANSACTIONS, f"{connection['id']}:{key}"))
    return await record_outbound(aconn, connection, action, stored, key)


def _moment(value, zone: str | None) -> dict:
    if value.tzinfo is not None:
        return {"dateTime": value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(), "timeZone": "UTC"}
    return {"dateTime": value.isoformat(), "timeZone": zone}


def event_body(fields: MeetingFields) -> dict:
    """The Graph event fields to send (only those given: updates are patches)."""
    body: dict[str, Any] = {}
    if fields.title is not None:
        body["subject"] = fields.title
    if fields.description is not None:
        body["body"] = {"contentType": "text", "content": fields.description}
    if fields.location is not None:
        body["location"] = {"displayName": fields.location}
    if fields.start:
        body["start"], body["end"] = _moment(fields.start, fields.time_zone), _moment(fields.end, fields.time_zone)
        body["isAllDay"] = False
    elif fields.start_date:
        end = fields.end_date or fields.start_date + timedelta(days=1)
        zone = fields.time_zone or "UTC"
        body["start"] = {"dateTime": f"{fields.start_date.isoformat()}T00:00:00", "timeZone": zone}
        body["end"] = {"dateTime": f"{end.isoformat()}T00:00:00", "timeZone": zone}
        body["isAllDay"] = True
    if fields.attendees is not None:
        body["attendees"] = [{"emailAddress": {"address": a}, "type": "required"} for a in fields.attendees]
    if fields.conference:
        body["isOnlineMeeting"], body["onlineMeetingProvider"] = True, "teamsForBusiness"
    return body


def applied(body: dict, event: dict) -> bool:
    """Outlook's event already holds the simple fields we asked for (an earlier attempt succeeded)."""
    checks = [("subject", lambda e: e.get("subject")), ("isAllDay", lambda e: e.get("isAllDay")),
              ("location", lambda e: {"displayName": (e.get("location") or {}).get("displayName")})]
    return all(read(event) == body[key] for key, read in checks if key in body)


async def last_seen(ctx, event_id: str) -> dict | None:
    async with ctx.db() as conn:
        row = await (await conn.execute(query("reconcile.newest_payload"), {
            "connection_id": ctx.connection_id, "resource_type": EVENT, "external_id": event_id})).fetchone()
    return row["payload"] if row and "@removed" not in row["payload"] else None


async def _fail_conflict(ctx, row: dict, ours: dict, theirs: dict) -> MeetingConflict:
    conflict = MeetingConflict("Outlook", theirs["id"], ours, theirs, etag_field="@odata.etag")
    async with ctx.db() as conn, conn.transaction():
        await astage_records(conn, ctx.connection_id, ctx.tenant_id, CAPABILITY, EVENT, [RawObject(theirs["id"], theirs)])
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
    api = CalendarApi(ctx.client, ctx.ms.page_size)
    request = row["request"]
    fields = MeetingFields.model_validate({k: v for k, v in request.items()
                                          if k not in ("calendar_id", "event_id", "transaction_id")})
    body = event_body(fields)
    gone = False
    if row["action"] == "create_meeting":
        calendar = await api.calendar(request["calendar_id"])
        event = await api.create_event(calendar["id"], {**body, "transactionId": request["transaction_id"]})
    else:
        event_id = request["event_id"]
        seen = await last_seen(ctx, event_id) or await api.event(event_id)
        ours = {**seen, **body} if row["action"] == "update_meeting" else {**seen, "isCancelled": True}
        try:
            if row["action"] == "update_meeting":
                event = await api.patch_event(event_id, body, seen.get("@odata.etag"))
            else:
                await api.cancel_event(event_id, fields.description, seen.get("@odata.etag"))
                event, gone = await _current(api, event_id)
        except Conflict:
            theirs, gone = await _current(api, event_id)
            done = gone or (applied(body, theirs) if row["action"] == "update_meeting" else theirs.get("isCancelled"))
            if not (done and row["attempts"] > 1):
                raise await _fail_conflict(ctx, row, ours, theirs) from None
            event = theirs
        except NotFound:
            if row["action"] != "cancel_meeting" or row["attempts"] == 1:
                raise
            event, gone = {"id": event_id}, True  # our earlier attempt cancelled it and Outlook removed it
    staged = RawObject(event["id"], event if not gone else {"id": event["id"], "@removed": {"reason": "deleted"}},
                       is_deleted=gone)
    async with ctx.db() as conn, conn.transaction():
        await astage_records(conn, ctx.connection_id, ctx.tenant_id, CAPABILITY, EVENT, [staged])
        return await (await conn.execute(query("outbound.done"), {
            "id": row["id"], "provider_id": event["id"], "thread_id": None})).fetchone()


async def _current(api: CalendarApi, event_id: str) -> tuple[dict, bool]:
    """The event Outlook holds now, and whether it is gone (a cancelled event may be removed)."""
    try:
        return await api.event(event_id), False
    except NotFound:
        return {"id": event_id}, True
