"""One account's Outlook calendars: events, recurring series expanded into occurrences and
exceptions, and the calendar views delta queries compare.

A series master keeps its ``recurrence``; each occurrence is addressed as ``{masterId}_OCC{yyyymmdd}``
(its original start date in the series' time zone). Changing one occurrence makes it an
``exception`` (its own fields and change key); deleting one removes it from every view;
cancelling one marks it ``isCancelled``.
"""

from __future__ import annotations

import datetime
import re
import secrets
from dataclasses import dataclass, field
from typing import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import recurrence
from .delta import DeltaTokens, Snapshot
from .errors import GraphError, bad_request, not_found
from .mail_store import new_change_key, new_id, now_iso

OCCURRENCE = re.compile(r"^(?P<master>.+)_OCC(?P<day>\d{8})$")
WINDOWS_ZONES = {
    "utc": "UTC", "gmt standard time": "Europe/London", "w. europe standard time": "Europe/Berlin",
    "romance standard time": "Europe/Paris", "eastern standard time": "America/New_York",
    "central standard time": "America/Chicago", "mountain standard time": "America/Denver",
    "pacific standard time": "America/Los_Angeles", "tokyo standard time": "Asia/Tokyo",
}
FIXED = ("id", "@odata.etag", "changeKey", "createdDateTime", "lastModifiedDateTime", "type", "seriesMasterId",
         "iCalUId", "originalStart")


def zone(name: str | None) -> datetime.tzinfo:
    name = name or "UTC"
    try:
        return ZoneInfo(WINDOWS_ZONES.get(name.lower(), name))
    except (ZoneInfoNotFoundError, ValueError):
        raise bad_request(f"Time zone '{name}' is not supported.", "ErrorTimeZone") from None


def moment(value: dict | None, field_name: str) -> datetime.datetime:
    """A Graph ``dateTimeTimeZone`` as an aware datetime."""
    if not value or not value.get("dateTime"):
        raise bad_request(f"The '{field_name}' property is required.", "ErrorInvalidRequest")
    text = value["dateTime"].rstrip("Z")
    if "." in text:
        text = text.split(".")[0]
    try:
        local = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise bad_request(f"Invalid dateTime '{value['dateTime']}'.", "ErrorInvalidRequest") from None
    return local.replace(tzinfo=zone(value.get("timeZone")))


def graph_time(when: datetime.datetime) -> dict:
    utc = when.astimezone(datetime.timezone.utc)
    return {"dateTime": utc.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


@dataclass
class Calendar:
    id: str
    name: str
    is_default: bool = False
    color: str = "auto"
    change_key: str = field(default_factory=new_change_key)


@dataclass
class StoredEvent:
    id: str
    calendar_id: str
    data: dict
    ical_uid: str
    change_key: str = field(default_factory=new_change_key)
    created: str = field(default_factory=now_iso)
    modified: str = field(default_factory=now_iso)
    exceptions: dict[datetime.date, dict] = field(default_factory=dict)  # original date -> changed fields
    exception_keys: dict[datetime.date, str] = field(default_factory=dict)
    deleted: set[datetime.date] = field(default_factory=set)  # occurrences removed from the series

    def touch(self) -> None:
        self.change_key = new_change_key()
        self.modified = now_iso()

    @property
    def is_series(self) -> bool:
        return bool(self.data.get("recurrence"))

    def span(self) -> tuple[datetime.datetime, datetime.timedelta]:
        start = moment(self.data.get("start"), "start")
        return start, moment(self.data.get("end"), "end") - start


@dataclass
class Instance:
    """One item of a calendar view: a single event, an occurrence or an exception."""

    id: str
    event: StoredEvent
    kind: str  # singleInstance | occurrence | exception
    start: datetime.datetime
    end: datetime.datetime
    original: datetime.datetime | None = None
    day: datetime.date | None = None

    @property
    def change_key(self) -> str:
        extra = self.event.exception_keys.get(self.day, "") if self.day else ""
        return self.event.change_key + extra

    def fields(self) -> dict:
        data = dict(self.event.data)
        if self.day is not None:
            data.update(self.event.exceptions.get(self.day, {}))
        return data


class CalendarAccount:
    def __init__(self, email: str) -> None:
        self.email = email
        self.calendars: dict[str, Calendar] = {}
        self.events: dict[str, StoredEvent] = {}
        self.transactions: dict[str, str] = {}  # transactionId -> event id
        self.delta = DeltaTokens()
        self.on_change: Callable[[str, str], None] | None = None  # change notifications: (changeType, event id)
        default = self.add_calendar("Calendar")
        default.is_default = True
        self.default_id = default.id

    # -- calendars -----------------------------------------------------------------------------
    def add_calendar(self, name: str) -> Calendar:
        if not name or not str(name).strip():
            raise ValueError("a calendar needs a name")
        calendar = Calendar(new_id("AAMkADcal"), name)
        self.calendars[calendar.id] = calendar
        return calendar

    def calendar(self, ref: str | None) -> Calendar:
        calendar = self.calendars.get(ref or self.default_id)
        if calendar is None:
            raise not_found("The specified calendar could not be found.")
        return calendar

    # -- events --------------------------------------------------------------------------------
    def insert(self, calendar_id: str | None, data: dict, event_id: str | None = None) -> StoredEvent:
        calendar = self.calendar(calendar_id)
        transaction = data.get("transactionId")
        if transaction and transaction in self.transactions and self.transactions[transaction] in self.events:
            return self.events[self.transactions[transaction]]
        ical_uid = data.get("iCalUId") or "040000008200E00074C5B7101A82E008" + secrets.token_hex(24)
        data = {k: v for k, v in data.items() if k not in FIXED}
        moment(data.get("start"), "start"), moment(data.get("end"), "end")
        data.setdefault("organizer", {"emailAddress": {"name": self.email.split("@")[0].title(),
                                                       "address": self.email}})
        identifier = event_id if event_id and event_id not in self.events else new_id("AAMkADev")
        event = StoredEvent(identifier, calendar.id, data, ical_uid)  # an import keeps its iCalUId (shared meetings)
        self.events[event.id] = event
        if transaction:
            self.transactions[transaction] = event.id
        if event.is_series:
            list(self.instances_of(event, *self._far_window(event)))  # validates the recurrence now
        self._changed("created", event.id)
        return event

    def _changed(self, change_type: str, event_id: str) -> None:
        if self.on_change is not None:
            self.on_change(change_type, event_id)

    def resolve(self, event_id: str) -> tuple[StoredEvent, datetime.date | None]:
        """The stored event and, for an occurrence id, its original date."""
        if event_id in self.events:
            return self.events[event_id], None
        found = OCCURRENCE.match(event_id)
        if found and found["master"] in self.events:
            event = self.events[found["master"]]
            day = datetime.datetime.strptime(found["day"], "%Y%m%d").date()
            if event.is_series and day not in event.deleted and self._occurs_on(event, day):
                return event, day
        raise not_found()

    def instance(self, event_id: str) -> Instance:
        event, day = self.resolve(event_id)
        if day is None:
            start, length = event.span()
            return Instance(event.id, event, "seriesMaster" if event.is_series else "singleInstance",
                            start, start + length)
        return self._occurrence(event, day)

    def update(self, event_id: str, changes: dict, if_match: str | None = None) -> str:
        event, day = self.resolve(event_id)
        self._check_etag(event_id, if_match)
        changes = {k: v for k, v in changes.items() if k not in FIXED}
        if day is None:
            merged = {**event.data, **changes}
            moment(merged.get("start"), "start"), moment(merged.get("end"), "end")
            event.data = merged
            event.touch()
        else:
            event.exceptions[day] = {**event.exceptions.get(day, {}), **changes}
            event.exception_keys[day] = new_change_key()
        self._changed("updated", event_id)
        return event_id

    def cancel(self, event_id: str) -> str:
        return self.update(event_id, {"isCancelled": True})

    def delete(self, event_id: str, if_match: str | None = None) -> None:
        event, day = self.resolve(event_id)
        self._check_etag(event_id, if_match)
        if day is None:
            del self.events[event.id]
        else:
            event.deleted.add(day)  # the other occurrences keep their change keys: deltas report only this one
            event.exceptions.pop(day, None)
            event.modified = now_iso()
        self._changed("deleted", event_id)

    def etag(self, event_id: str) -> str:
        return f'W/"{self.instance(event_id).change_key}"'

    def _check_etag(self, event_id: str, if_match: str | None) -> None:
        if if_match and if_match.strip() != "*" and if_match.strip() not in (self.etag(event_id),
                                                                            self.etag(event_id)[2:].strip('"')):
            raise GraphError(412, "ErrorIrresolvableConflict",
                             "The send or update operation could not be performed because the change key passed "
                             "in the request does not match the current change key for the item.")

    # -- views ---------------------------------------------------------------------------------
    def _occurs_on(self, event: StoredEvent, day: datetime.date) -> bool:
        start, _ = event.span()
        local_first = start.date()
        return day in set(recurrence.dates(event.data["recurrence"], local_first, day))

    def _occurrence(self, event: StoredEvent, day: datetime.date) -> Instance:
        start, length = event.span()
        original = datetime.datetime.combine(day, start.timetz().replace(tzinfo=None), start.tzinfo)
        changes = event.exceptions.get(day)
        kind = "exception" if changes else "occurrence"
        begin = moment(changes["start"], "start") if changes and changes.get("start") else original
        finish = moment(changes["end"], "end") if changes and changes.get("end") else begin + length
        return Instance(f"{event.id}_OCC{day:%Y%m%d}", event, kind, begin, finish, original, day)

    def instances_of(self, event: StoredEvent, window_start, window_end) -> list[Instance]:
        start, length = event.span()
        last_day = (window_end.astimezone(start.tzinfo) + length).date() + datetime.timedelta(days=1)
        found = []
        days = set(recurrence.dates(event.data["recurrence"], start.date(), last_day)) | set(event.exceptions)
        for day in sorted(days):
            if day in event.deleted:
                continue
            instance = self._occurrence(event, day)
            if instance.start < window_end and instance.end > window_start:
                found.append(instance)
        return found

    def view(self, calendar_id: str | None, window_start, window_end) -> list[Instance]:
        """Singles, occurrences and exceptions overlapping [window_start, window_end)."""
        calendar = self.calendar(calendar_id)
        found = []
        for event in self.events.values():
            if event.calendar_id != calendar.id:
                continue
            if event.is_series:
                found.extend(self.instances_of(event, window_start, window_end))
            else:
                start, length = event.span()
                if start < window_end and start + length > window_start:
                    found.append(Instance(event.id, event, "singleInstance", start, start + length))
        found.sort(key=lambda i: (i.start, i.id))
        return found

    def snapshot(self, calendar_id: str | None, window_start, window_end) -> Snapshot:
        return {i.id: (i.change_key, i.id) for i in self.view(calendar_id, window_start, window_end)}

    def _far_window(self, event: StoredEvent):
        start, _ = event.span()
        return start, start + datetime.timedelta(days=400)
