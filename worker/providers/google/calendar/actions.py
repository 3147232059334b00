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
from datetime import date, datetime, timedelta
from typing import Any, Literal

from psycopg.types.json import Jsonb
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from worker.errors import BadInput, IntegrationsError
from worker.providers.google.calendar.api import RESOURCE, CalendarApi, external_id
from worker.providers.google.capabilities import CALENDAR_EVENTS
from worker.providers.google.errors import Conflict, CursorExpired
from worker.store import query
from worker.store.staging import RawObject, astage_records

CAPABILITY = "sync_calendar_live"  # two-way writes are a setting of the live capability
ACTIONS = ("create_meeting", "update_meeting", "cancel_meeting")
ACTIONS_STREAM = "actions"  # sync_state row recording the action jobs' failures


class MeetingConflict(IntegrationsError):
    """Someone changed the event in Google since we last saw it (HTTP 412): nothing was overwritten."""

    def __init__(self, event: str, ours: dict, theirs: dict) -> None:
        super().__init__(f"meeting {event} was changed in Google since we last saw it (etag "
                         f"{ours.get('etag')} → {theirs.get('etag')}); not overwritten")
        self.event, self.ours, self.theirs = event, ours, theirs


class MeetingFields(BaseModel):
    """What the CRM may set on a meeting; times are RFC 3339 (with `time_zone`) or all-day dates."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    description: str | None = None
    location: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    start_date: date | None = None
    end_date: date | None = None  # exclusive, like Google; defaults to the day after start_date
    time_zone: str | None = None
    attendees: list[str] | None = None
    conference: bool = False  # ask Google for a Meet link
    send_updates: Literal["all", "externalOnly", "none"] | None = None

    @model_validator(mode="after")
    def _times(self):
        if (self.start or self.end) and (self.start_date or self.end_date):
            raise ValueError("give start/end times or all-day dates, not both")
        if bool(self.start) != bool(self.end):
            raise ValueError("start and end go together")
        if self.start and self.end <= self.start:
            raise ValueError("end must be after start")
        if self.end_date and not self.start_date:
            raise ValueError("end_date needs start_date")
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValueError("end_date must be after start_date (it is exclusive)")
        if self.start and self.start.tzinfo is None and not self.time_zone:
            raise ValueError("times without an offset need time_zone")
        return self


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
    if action not in ACTIONS:
        raise BadInput(f"unknown meeting action {action!r}")
    check_two_way(connection)
    fields = {k: v for k, v in request.items() if k not in ("calendar_id", "event_id")}
    try:
        validated = MeetingFields.model_validate(fields)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'meeting'}: {e['msg']}" for e in error.errors())
        raise BadInput(f"invalid {action}: {problems}") from None
    if action == "create_meeting" and not (validated.start or validated.start_date):
        raise BadInput("create_meeting needs start/end or start_date")
    if action != "create_meeting" and not request.get("event_id"):
        raise BadInput(f"{action} needs the event id")
    key = idempotency_key or str(uuid.uuid4())
    stored = {"calendar_id": request.get("calendar_id") or "primary",
              "event_id": request.get("event_id") or event_id_for(connection["id"], key),
              **validated.model_dump(mode="json", exclude_none=True, exclude_defaults=True)}
    created = await (await aconn.execute(query("outbound.insert"), {
        "connection_id": connection["id"], "tenant_id": connection["tenant_id"], "action": action,
        "idempotency_key": key, "request": Jsonb(stored), "message_id_header": None,
    })).fetchone()
    if created:
        return created, True
    return await (await aconn.execute(query("outbound.by_key"), {"connection_id": connection["id"],
                                                                  "idempotency_key": key})).fetchone(), False


# -- the job ---------------------------------------------------------------------------------------
async def last_seen(ctx, calendar_id: str, event_id: str) -> dict | None:
    async with ctx.db() as conn:
        row = await (await conn.execute(
            "select payload from integrations.raw_records where connection_id = %s and resource_type = %s"
            " and external_id = %s order by id desc limit 1",
            (ctx.connection_id, RESOURCE, external_id(calendar_id, event_id)))).fetchone()
    return row["payload"] if row else None


def applied(body: dict, event: dict) -> bool:
    """Google's event already holds every field we asked for (an earlier attempt succeeded)."""
    return all(event.get(key) == value for key, value in body.items() if key != "conferenceData")


async def _fail_conflict(ctx, row: dict, ours: dict, theirs: dict, calendar_id: str) -> MeetingConflict:
    conflict = MeetingConflict(external_id(calendar_id, row["request"]["event_id"]), ours, theirs)
    async with ctx.db() as conn, conn.transaction():
        await astage_records(conn, ctx.connection_id, ctx.tenant_id, CAPABILITY, RESOURCE,
                             [RawObject(external_id(calendar_id, theirs["id"]), theirs,
                                        is_deleted=theirs.get("status") == "cancelled")])
        await conn.execute(
            "update integrations.outbound set status = 'failed', completed_at = now(), last_error = %s"
            " where id = %s",
            (json.dumps({"error": "conflict", "message": str(conflict), "ours": ours, "theirs": theirs}), row["id"]))
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


# -- Python entry points (the CRM and `integrations meetings ...`) --------------------------------------
async def queue_action(url: str, connection_id, action: str, request: dict,
                       idempotency_key: str | None = None) -> dict[str, Any]:
    """Record the action and defer its job in one transaction; the same key never acts twice."""
    from worker.api import _check, _connection
    from worker.app import open_app_async
    from worker.db.connect import aconnect
    from worker.providers.google.calendar_tasks import meeting_action

    _check(url)
    async with open_app_async(url, max_size=2):
        aconn = await aconnect(url)
        try:
            async with aconn.transaction():
                row = await _connection(aconn, connection_id)
                outbound, created = await prepare_action(aconn, row, action, request, idempotency_key)
                job_id = None
                if created:  # a repeated key never queues a second job
                    lock = f"{row['id']}:meeting:{outbound['request']['event_id']}"  # one event, in order
                    job_id = await meeting_action.configure(connection=aconn, lock=lock).defer_async(
                        connection_id=str(row["id"]), outbound_id=str(outbound["id"]))
        finally:
            await aconn.close()
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
    return await queue_action(url, connection_id, "create_meeting", _clean(request), idempotency_key)


async def update_meeting(url: str, connection_id, event_id: str, *, calendar_id: str = "primary",
                         idempotency_key: str | None = None, **changes) -> dict[str, Any]:
    """`changes`: any of title, description, location, start/end, start_date/end_date, time_zone,
    attendees, conference, send_updates; only those are changed."""
    return await queue_action(url, connection_id, "update_meeting",
                              _clean({"calendar_id": calendar_id, "event_id": event_id, **changes}), idempotency_key)


async def cancel_meeting(url: str, connection_id, event_id: str, *, calendar_id: str = "primary",
                         send_updates: str | None = None, idempotency_key: str | None = None) -> dict[str, Any]:
    return await queue_action(url, connection_id, "cancel_meeting",
                              _clean({"calendar_id": calendar_id, "event_id": event_id, "send_updates": send_updates}),
                              idempotency_key)


def _clean(request: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in request.items()
            if v is not None and v is not False}


async def action_result(url: str, outbound_id) -> dict[str, Any]:
    """The outbound row of an action; a conflict's `ours`/`theirs` versions are decoded."""
    from worker.db.connect import aconnect

    aconn = await aconnect(url)
    try:
        from psycopg.rows import dict_row
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
