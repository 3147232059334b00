"""Calendars and their events, with the change sequence that sync tokens point into.

Every write bumps the calendar's sequence and stamps the event with it; a sync token is a
sequence number, so "what changed since the token" is "events stamped after it" — deletions
included, because a deleted event stays as ``status: cancelled``. Invalidating tokens raises the
floor below which tokens are refused (410 ``fullSyncRequired``).

Recurring series are stored as a master with ``recurrence`` plus exceptions stored under the
instance id (``<masterId>_<originalStartUTC>``); plain instances are generated on demand.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from . import recurrence
from .errors import ApiError, bad_request, invalid, not_found

EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
DEFAULT_HORIZON_DAYS = 400


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"Bad Request: invalid time {value}", "badRequest") from None
    if parsed.tzinfo is None:
        raise bad_request(f"Bad Request: time {value} lacks a time zone offset", "badRequest")
    return parsed


def event_time(value: dict, default_tz: str) -> datetime | date:
    if "date" in value:
        return date.fromisoformat(value["date"])
    parsed = datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(value.get("timeZone") or default_tz))
    return parsed


def as_instant(value: datetime | date, tz_name: str) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc)
    return datetime.combine(value, datetime.min.time(), tzinfo=ZoneInfo(tz_name)).astimezone(timezone.utc)


def instance_stamp(original: datetime | date) -> str:
    if isinstance(original, datetime):
        return original.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return original.strftime("%Y%m%d")


def time_field(value: datetime | date, tz_name: str | None) -> dict:
    if isinstance(value, datetime):
        out = {"dateTime": value.isoformat()}
        if tz_name:
            out["timeZone"] = tz_name
        return out
    return {"date": value.isoformat()}


@dataclass
class Calendar:
    id: str
    summary: str
    time_zone: str = "UTC"
    events: dict[str, dict] = field(default_factory=dict)
    stamps: dict[str, int] = field(default_factory=dict)  # event id -> sequence of last change
    seq: int = 0
    token_epoch: int = 0  # bumped by invalidate_sync_tokens: every earlier token answers 410
    _id_counter: int = 0
    on_change: Callable[[str], None] | None = field(default=None, repr=False, compare=False)  # (calendar id)

    # -- identity and bookkeeping ------------------------------------------------------------
    def new_event_id(self) -> str:
        self._id_counter += 1
        digest = hashlib.sha256(f"{self.id}/{self._id_counter}".encode()).digest()[:16]
        return base64.b32hexencode(digest).decode().lower().rstrip("=")

    def _touch(self, event: dict) -> dict:
        self.seq += 1
        event["etag"] = f'"{3400000000000000 + self.seq * 1000}"'
        event["updated"] = now_rfc3339()
        self.events[event["id"]] = event
        self.stamps[event["id"]] = self.seq
        if self.on_change is not None:
            self.on_change(self.id)
        return event

    def sync_token(self, seq: int | None = None) -> str:
        raw = f"{self.id}|{self.token_epoch}|{self.seq if seq is None else seq}"
        return "CP" + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def read_sync_token(self, token: str) -> int:
        try:
            raw = base64.urlsafe_b64decode(token[2:] + "=" * (-len(token[2:]) % 4)).decode()
            rest, _, seq = raw.rpartition("|")
            calendar_id, _, epoch = rest.rpartition("|")
            value, epoch_value = int(seq), int(epoch)
        except (ValueError, UnicodeDecodeError):
            value, epoch_value, calendar_id = -1, -1, ""
        if calendar_id != self.id or epoch_value != self.token_epoch or value > self.seq:
            raise ApiError(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.")
        return value

    def invalidate_sync_tokens(self) -> None:
        self.token_epoch += 1

    # -- reading -----------------------------------------------------------------------------
    def master_of(self, event_id: str) -> tuple[dict, str] | None:
        master_id, sep, stamp = event_id.rpartition("_")
        if not sep or master_id not in self.events:
            return None
        return self.events[master_id], stamp

    def instances(self, master: dict, until: datetime | None = None) -> list[dict]:
        """The series' instances (exceptions applied), up to ``until`` or a default horizon."""
        start = event_time(master["start"], self.time_zone)
        end = event_time(master["end"], self.time_zone)
        tz_name = master["start"].get("timeZone")
        if until is None:
            until = as_instant(start, self.time_zone) + timedelta(days=DEFAULT_HORIZON_DAYS)
        out = []
        for original in recurrence.expand(start, master.get("recurrence") or [], tz_name, until):
            instance_id = f"{master['id']}_{instance_stamp(original)}"
            stored = self.events.get(instance_id)
            out.append(stored if stored is not None else self._instance(master, original, end - start))
        known = {e["id"] for e in out}
        for event_id, event in self.events.items():  # exceptions moved outside the expansion
            if event.get("recurringEventId") == master["id"] and event_id not in known:
                out.append(event)
        return out

    def _instance(self, master: dict, original, duration) -> dict:
        tz_name = master["start"].get("timeZone")
        instance = {k: copy.deepcopy(v) for k, v in master.items() if k not in ("recurrence", "id")}
        instance["id"] = f"{master['id']}_{instance_stamp(original)}"
        instance["recurringEventId"] = master["id"]
        instance["originalStartTime"] = time_field(original, tz_name)
        instance["start"] = time_field(original, tz_name)
        instance["end"] = time_field(original + duration, tz_name)
        return instance

    def instance(self, event_id: str) -> dict | None:
        found = self.master_of(event_id)
        if found is None:
            return None
        master, stamp = found
        if not master.get("recurrence"):
            return None
        for instance in self.instances(master, until=None if len(stamp) < 9 else
                                       datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(
                                           tzinfo=timezone.utc) + timedelta(seconds=1)):
            if instance["id"] == event_id:
                return instance
        return None

    def get(self, event_id: str) -> dict:
        event = self.events.get(event_id) or self.instance(event_id)
        if event is None:
            raise not_found("Not Found")
        return event

    # -- writing -----------------------------------------------------------------------------
    def insert(self, body: dict, organizer: str, *, upsert: bool = False) -> dict:
        """Store an event. A client inserting with its own id is held to Google's rule (base32hex,
        5-1024 chars); an upsert (the admin import, a write to an existing event) keeps any id
        `events.get` can return, such as the `_...` ids Google gives to events imported from other
        calendar systems."""
        event = copy.deepcopy(body)
        event_id = event.get("id")
        if event_id:
            if not isinstance(event_id, str) or "/" in event_id or (
                    not upsert and not EVENT_ID.match(event_id.split("_")[0])):
                raise invalid("Invalid resource id value.")
            if event_id in self.events and not upsert:
                raise ApiError(409, "duplicate", "The requested identifier already exists.")
        else:
            event_id = self.new_event_id()
        for key in ("start", "end"):
            if event.get("status") != "cancelled" and not (event.get(key) or {}).keys() & {"date", "dateTime"}:
                raise ApiError(400, "required", f"Missing {key} time.")
        previous = self.events.get(event_id)
        event["id"] = event_id
        event["kind"] = "calendar#event"
        event.setdefault("status", "confirmed")
        event.setdefault("htmlLink", f"https://www.google.com/calendar/event?eid={event_id}")
        event.setdefault("created", previous["created"] if previous else now_rfc3339())
        event.setdefault("creator", {"email": organizer, "self": True})
        event.setdefault("organizer", {"email": organizer, "self": True})
        event.setdefault("iCalUID", (self.events[event["recurringEventId"]]["iCalUID"]
                                     if event.get("recurringEventId") in self.events
                                     else f"{event_id}@google.com"))
        event.setdefault("sequence", previous.get("sequence", 0) + 1 if previous else 0)
        event.setdefault("reminders", {"useDefault": True})
        event.setdefault("eventType", "default")
        for stale in ("etag", "updated"):
            event.pop(stale, None)
        return self._touch(event)

    def _materialize(self, event_id: str) -> dict:
        if event_id in self.events:
            return self.events[event_id]
        instance = self.instance(event_id)
        if instance is None:
            raise not_found("Not Found")
        return instance

    def check_etag(self, event_id: str, if_match: str | None) -> None:
        if not if_match or if_match == "*":
            return
        current = self._materialize(event_id)
        if current.get("etag") != if_match:
            raise ApiError(412, "conditionNotMet", "Precondition Failed", extra={
                "location": "If-Match", "locationType": "header"})

    def replace(self, event_id: str, body: dict, organizer: str) -> dict:
        current = self._materialize(event_id)
        event = copy.deepcopy(body)
        for forced in ("id", "created", "recurringEventId", "originalStartTime"):
            if forced in current:
                event[forced] = current[forced]
        for kept in ("iCalUID", "creator", "organizer"):
            if kept in current:
                event.setdefault(kept, current[kept])
        event.setdefault("status", "confirmed")
        event["sequence"] = current.get("sequence", 0) + 1
        return self.insert(event, organizer, upsert=True)

    def patch(self, event_id: str, changes: dict, organizer: str) -> dict:
        current = copy.deepcopy(self._materialize(event_id))
        for key, value in changes.items():
            if key in ("id", "kind", "etag", "iCalUID", "recurringEventId", "originalStartTime"):
                continue
            if value is None:
                current.pop(key, None)
            else:
                current[key] = copy.deepcopy(value)
        if any(k in changes for k in ("start", "end", "summary", "location", "recurrence")):
            current["sequence"] = current.get("sequence", 0) + 1
        return self.insert(current, organizer, upsert=True)

    def cancel(self, event_id: str) -> dict:
        current = self._materialize(event_id)
        if current.get("status") == "cancelled":
            raise ApiError(410, "deleted", "Resource has been deleted")
        if current.get("recurringEventId"):
            event = {"kind": "calendar#event", "id": event_id, "status": "cancelled",
                     "recurringEventId": current["recurringEventId"],
                     "originalStartTime": current["originalStartTime"]}
        else:
            event = copy.deepcopy(current)
            event["status"] = "cancelled"
        return self._touch(event)


def shape(event: dict) -> dict:
    """An event as the API shows it: a cancelled instance carries only its identity."""
    if event.get("status") == "cancelled" and event.get("recurringEventId"):
        return {k: event[k] for k in ("kind", "etag", "id", "status", "recurringEventId",
                                      "originalStartTime") if k in event}
    return event


@dataclass
class CalendarAccount:
    email: str
    calendars: dict[str, Calendar] = field(default_factory=dict)
    # (email, calendar id) after each event change: the Calendar push of a watched calendar
    on_change: Callable[[str, str], None] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.calendars[self.email] = Calendar(id=self.email, summary=self.email, on_change=self._changed)

    def _changed(self, calendar_id: str) -> None:
        if self.on_change is not None:
            self.on_change(self.email, calendar_id)

    def calendar(self, calendar_id: str) -> Calendar:
        if calendar_id == "primary":
            calendar_id = self.email
        found = self.calendars.get(calendar_id)
        if found is None:
            raise not_found("Not Found")
        return found

    def add_calendar(self, calendar_id: str, summary: str, time_zone: str = "UTC") -> Calendar:
        if calendar_id not in self.calendars:
            self.calendars[calendar_id] = Calendar(id=calendar_id, summary=summary, time_zone=time_zone,
                                                   on_change=self._changed)
        return self.calendars[calendar_id]
