"""Calendar v3 methods: calendar list, event listing with paging and sync tokens, event writes
with etags, and recurring-instance expansion — the JSON Google documents.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

from .calendar_store import Calendar, as_instant, event_time, parse_time, shape
from .errors import ApiError, bad_request, invalid
from .gmail_api import Call
from .state import World

SYNC_FORBIDDEN = ("iCalUID", "orderBy", "q", "timeMin", "timeMax", "updatedMin",
                  "privateExtendedProperty", "sharedExtendedProperty")
SEND_UPDATES = ("all", "externalOnly", "none")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _encode(state: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def _decode(token: str) -> dict:
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        raise invalid("Invalid page token value.") from None


class CalendarApi:
    def __init__(self, world: World, channels=None) -> None:
        self.world = world
        self.channels = channels  # channels.CalendarChannels: events.watch and channels.stop

    def handlers(self) -> dict:
        return {
            "calendar.calendarList.list": self.list_calendars,
            "calendar.calendarList.get": self.get_calendar_entry,
            "calendar.calendars.get": self.get_calendar,
            "calendar.events.list": self.list_events,
            "calendar.events.get": self.get_event,
            "calendar.events.insert": self.insert_event,
            "calendar.events.update": self.update_event,
            "calendar.events.patch": self.patch_event,
            "calendar.events.delete": self.delete_event,
            "calendar.events.instances": self.list_instances,
            "calendar.events.watch": self.watch_events,
            "calendar.channels.stop": self.stop_channel,
        }

    # -- push channels -----------------------------------------------------------------------
    def watch_events(self, call: Call) -> dict:
        calendar = self._calendar(call)
        if self.channels is None:
            raise ApiError(400, "pushNotSupported", "Push notifications are not supported")
        return self.channels.watch(call.email, calendar.id, call.req.json() or {})

    def stop_channel(self, call: Call) -> dict:
        if self.channels is not None:
            self.channels.stop(call.req.json() or {})
        return {}

    def _calendar(self, call: Call) -> Calendar:
        return self.world.calendar_account(call.email).calendar(call.req.path_params["calendarId"])

    # -- calendars ---------------------------------------------------------------------------
    def _entry(self, call: Call, calendar: Calendar) -> dict:
        entry = {"kind": "calendar#calendarListEntry", "etag": f'"{1600000000000 + calendar.seq}"',
                 "id": calendar.id, "summary": calendar.summary, "timeZone": calendar.time_zone,
                 "colorId": "14", "backgroundColor": "#9fe1e7", "foregroundColor": "#000000",
                 "selected": True, "accessRole": "owner", "defaultReminders": []}
        if calendar.id == call.email:
            entry["primary"] = True
        return entry

    def list_calendars(self, call: Call) -> dict:
        account = self.world.calendar_account(call.email)
        items = [self._entry(call, c) for c in account.calendars.values()]
        return {"kind": "calendar#calendarList", "etag": '"p33c9sv5hq1fpo0g"',
                "nextSyncToken": "CAAS" + call.email.replace("@", "_"), "items": items}

    def get_calendar_entry(self, call: Call) -> dict:
        return self._entry(call, self._calendar(call))

    def get_calendar(self, call: Call) -> dict:
        calendar = self._calendar(call)
        return {"kind": "calendar#calendar", "etag": f'"{1600000000000 + calendar.seq}"',
                "id": calendar.id, "summary": calendar.summary, "timeZone": calendar.time_zone}

    # -- listing -----------------------------------------------------------------------------
    def _window(self, call: Call):
        low = call.req.param("timeMin")
        high = call.req.param("timeMax")
        low_t = parse_time(low) if low else None
        high_t = parse_time(high) if high else None
        if low_t and high_t and high_t <= low_t:
            raise bad_request("The specified time range is empty.", "timeRangeEmpty")
        return low_t, high_t

    @staticmethod
    def _overlaps(calendar: Calendar, event: dict, low, high) -> bool:
        if "start" not in event:
            original = event.get("originalStartTime")
            if not original:
                return True
            start = as_instant(event_time(original, calendar.time_zone), calendar.time_zone)
            return (low is None or start >= low) and (high is None or start < high)
        start = as_instant(event_time(event["start"], calendar.time_zone), calendar.time_zone)
        end = as_instant(event_time(event["end"], calendar.time_zone), calendar.time_zone)
        if event.get("recurrence") and low is not None:
            return high is None or start < high  # the series may reach into the window
        return (low is None or end > low) and (high is None or start < high)

    def _page(self, call: Call, calendar: Calendar, items: list[dict], state: dict,
              sync_mode: bool) -> dict:
        """One page of ``items``; ``state`` (snapshot, sync position) rides in the page token."""
        max_results = call.req.int_param("maxResults", 250, 2500) or 250
        offset = state.get("o", 0)
        page = items[offset: offset + max_results]
        snapshot = state["s"]
        out = {"kind": "calendar#events", "etag": f'"{3400000000000000 + snapshot * 1000}"',
               "summary": calendar.summary, "description": "", "updated": _updated(items),
               "timeZone": calendar.time_zone, "accessRole": "owner", "defaultReminders": [],
               "items": [shape(e) for e in page]}
        if offset + max_results < len(items):
            out["nextPageToken"] = _encode({**state, "o": offset + max_results})
        elif sync_mode:
            out["nextSyncToken"] = calendar.sync_token(snapshot)
        return out

    def list_events(self, call: Call) -> dict:
        req = call.req
        calendar = self._calendar(call)
        sync_token = req.param("syncToken")
        if sync_token:
            forbidden = [p for p in SYNC_FORBIDDEN if req.param(p) is not None]
            if forbidden:
                raise invalid(f"Sync token cannot be used together with {', '.join(forbidden)}.")
        page_state = _decode(req.param("pageToken")) if req.param("pageToken") else {}
        since = None
        if "t" in page_state:
            since = page_state["t"]
        elif sync_token:
            since = calendar.read_sync_token(sync_token)
        snapshot = page_state.get("s", calendar.seq)
        single = req.bool_param("singleEvents")
        show_deleted = req.bool_param("showDeleted")
        order_by = req.param("orderBy")
        if order_by not in (None, "startTime", "updated"):
            raise invalid(f"Invalid value for orderBy: {order_by}")
        if order_by == "startTime" and not single:
            raise invalid("The requested ordering is not available for the particular query.")
        low, high = self._window(call)
        ical_uid = req.param("iCalUID")
        q = (req.param("q") or "").lower()
        horizon = high
        items = []
        for event in list(calendar.events.values()):
            if since is not None and calendar.stamps.get(event["id"], 0) <= since:
                if not (single and event.get("recurrence")):
                    continue
            if single and event.get("recurringEventId") and event["recurringEventId"] in calendar.events:
                continue  # emitted with its series below
            if single and event.get("recurrence"):
                master_changed = since is None or calendar.stamps[event["id"]] > since
                for instance in calendar.instances(event, horizon):
                    if since is not None and not master_changed and \
                            calendar.stamps.get(instance["id"], 0) <= since:
                        continue
                    if event["status"] == "cancelled":
                        if since is None and not show_deleted:
                            continue
                        instance = {**instance, "status": "cancelled"}
                    items.append(instance)
                continue
            items.append(event)
        out_items = []
        for event in items:
            cancelled = event.get("status") == "cancelled"
            if since is None:
                if cancelled and not show_deleted and not (event.get("recurringEventId") and not single):
                    continue
                if not self._overlaps(calendar, event, low, high):
                    continue
                if ical_uid and event.get("iCalUID") != ical_uid:
                    continue
                if q and q not in json.dumps(event).lower():
                    continue
            out_items.append(event)
        if order_by == "updated" or since is not None:
            out_items.sort(key=lambda e: (calendar.stamps.get(e["id"], 0), e["id"]))
        else:
            out_items.sort(key=lambda e: (_start_key(calendar, e), e["id"]))
        state = {"s": snapshot, "o": page_state.get("o", 0)}
        if since is not None:
            state["t"] = since  # clients resend only pageToken: the sync position rides in it
        return self._page(call, calendar, out_items, state, sync_mode=True)

    def list_instances(self, call: Call) -> dict:
        calendar = self._calendar(call)
        master = calendar.get(call.req.path_params["eventId"])
        if not master.get("recurrence"):
            raise bad_request("Bad Request", "badRequest")
        low, high = self._window(call)
        show_deleted = call.req.bool_param("showDeleted")
        original_start = call.req.param("originalStart")
        items = []
        for instance in calendar.instances(master, high):
            if instance.get("status") == "cancelled" and not show_deleted:
                continue
            if not self._overlaps(calendar, instance, low, high):
                continue
            if original_start and instance.get("originalStartTime", {}).get("dateTime",
                    instance.get("originalStartTime", {}).get("date")) != original_start:
                continue
            items.append(instance)
        items.sort(key=lambda e: (_start_key(calendar, e), e["id"]))
        state = _decode(call.req.param("pageToken")) if call.req.param("pageToken") else {}
        return self._page(call, calendar, items, {"s": calendar.seq, **state}, sync_mode=False)

    # -- single events -----------------------------------------------------------------------
    def get_event(self, call: Call) -> dict:
        return shape(self._calendar(call).get(call.req.path_params["eventId"]))

    def _send_updates(self, call: Call) -> None:
        value = call.req.param("sendUpdates")
        if value is not None and value not in SEND_UPDATES:
            raise invalid(f"Invalid value for sendUpdates: {value}")

    def insert_event(self, call: Call) -> dict:
        self._send_updates(call)
        return self._calendar(call).insert(call.req.json(), call.email)

    def update_event(self, call: Call) -> dict:
        self._send_updates(call)
        calendar = self._calendar(call)
        event_id = call.req.path_params["eventId"]
        calendar.check_etag(event_id, call.req.headers.get("if-match"))
        return calendar.replace(event_id, call.req.json(), call.email)

    def patch_event(self, call: Call) -> dict:
        self._send_updates(call)
        calendar = self._calendar(call)
        event_id = call.req.path_params["eventId"]
        calendar.check_etag(event_id, call.req.headers.get("if-match"))
        return calendar.patch(event_id, call.req.json(), call.email)

    def delete_event(self, call: Call):
        self._send_updates(call)
        calendar = self._calendar(call)
        event_id = call.req.path_params["eventId"]
        calendar.check_etag(event_id, call.req.headers.get("if-match"))
        calendar.cancel(event_id)
        return None  # 204 No Content


def _start_key(calendar: Calendar, event: dict) -> datetime:
    source = event.get("start") or event.get("originalStartTime")
    if not source:
        return EPOCH
    return as_instant(event_time(source, calendar.time_zone), calendar.time_zone)


def _updated(items: list[dict]) -> str:
    stamps = [e["updated"] for e in items if e.get("updated")]
    return max(stamps) if stamps else "1970-01-01T00:00:00.000Z"

