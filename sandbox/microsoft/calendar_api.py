"""Graph v1.0 calendars: calendars, events (with ``If-Match`` and ``transactionId``), series
instances, calendar views and their delta queries.

Times are served in UTC (``{"dateTime": "...0000000", "timeZone": "UTC"}``), as Graph does without
``Prefer: outlook.timezone``.
"""

from __future__ import annotations

import datetime

from ..core.wire import Response
from . import mime, odata
from . import scopes as s
from .calendar_store import CalendarAccount, Instance, graph_time
from .errors import bad_request
from .odata import Call, parse_time


def render_instance(account: CalendarAccount, instance: Instance) -> dict:
    data = instance.fields()
    event = instance.event
    organizer = data.get("organizer") or {}
    resource = {
        "@odata.etag": f'W/"{instance.change_key}"',
        "id": instance.id,
        "createdDateTime": event.created,
        "lastModifiedDateTime": event.modified,
        "changeKey": instance.change_key,
        "categories": data.get("categories") or [],
        "transactionId": data.get("transactionId") if instance.kind in ("singleInstance", "seriesMaster") else None,
        "originalStartTimeZone": (event.data.get("start") or {}).get("timeZone", "UTC"),
        "originalEndTimeZone": (event.data.get("end") or {}).get("timeZone", "UTC"),
        "iCalUId": event.ical_uid + (f"{instance.day:%Y%m%d}" if instance.day else ""),
        "reminderMinutesBeforeStart": data.get("reminderMinutesBeforeStart", 15),
        "isReminderOn": data.get("isReminderOn", True),
        "hasAttachments": False,
        "subject": data.get("subject") or "",
        "bodyPreview": mime.preview(data.get("body")),
        "importance": data.get("importance") or "normal",
        "sensitivity": data.get("sensitivity") or "normal",
        "isAllDay": bool(data.get("isAllDay")),
        "isCancelled": bool(data.get("isCancelled")),
        "isOrganizer": (organizer.get("emailAddress") or {}).get("address", "").lower() == account.email,
        "responseRequested": data.get("responseRequested", True),
        "seriesMasterId": event.id if instance.day else None,
        "showAs": data.get("showAs") or "busy",
        "type": instance.kind,
        "webLink": f"https://outlook.office365.com/owa/?itemid={instance.id}&exvsurl=1&path=/calendar/item",
        "onlineMeetingUrl": None,
        "isOnlineMeeting": bool(data.get("isOnlineMeeting")),
        "onlineMeetingProvider": data.get("onlineMeetingProvider") or "unknown",
        "isDraft": False,
        "responseStatus": data.get("responseStatus") or {"response": "organizer" if not data.get("attendees") else
                                                           "none", "time": "0001-01-01T00:00:00Z"},
        "body": data.get("body") or {"contentType": "html", "content": ""},
        "start": graph_time(instance.start),
        "end": graph_time(instance.end),
        "location": data.get("location") or {"displayName": "", "locationType": "default"},
        "locations": data.get("locations") or [],
        "recurrence": event.data.get("recurrence") if instance.kind == "seriesMaster" else None,
        "attendees": data.get("attendees") or [],
        "organizer": organizer,
        "onlineMeeting": data.get("onlineMeeting"),
    }
    if instance.original is not None:
        resource["originalStart"] = instance.original.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return resource


def render_event(account: CalendarAccount, event_id: str) -> dict:
    return render_instance(account, account.instance(event_id))


def render_calendar(account: CalendarAccount, calendar) -> dict:
    return {
        "id": calendar.id, "name": calendar.name, "color": calendar.color, "hexColor": "",
        "isDefaultCalendar": calendar.is_default, "changeKey": calendar.change_key, "canShare": True,
        "canViewPrivateItems": True, "canEdit": True, "allowedOnlineMeetingProviders": ["teamsForBusiness"],
        "defaultOnlineMeetingProvider": "teamsForBusiness", "isTallyingResponses": True,
        "isRemovable": not calendar.is_default,
        "owner": {"name": account.email.split("@")[0].title(), "address": account.email},
    }


def window(call: Call):
    raw_start, raw_end = call.req.param("startDateTime"), call.req.param("endDateTime")
    if not raw_start or not raw_end:
        raise bad_request("This request requires a time window specified by the query string parameters "
                          "StartDateTime and EndDateTime.", "ErrorInvalidParameter")
    start, end = parse_time(raw_start), parse_time(raw_end)
    if end <= start:
        raise bad_request("The end of the time window must be after its start.", "ErrorInvalidParameter")
    return start, end


class CalendarApi:
    def __init__(self, world) -> None:
        self.world = world

    def routes(self) -> list[tuple]:
        """``(http method, path template under /v1.0, method id, scopes any of which suffices, handler)``."""
        c = "/me/calendars/{calendar}"
        e = "/me/events/{id}"
        read, write = s.CALENDAR_READ, s.CALENDAR_WRITE
        return [
            ("GET", "/me/calendars", "calendar.calendars.list", read, self.list_calendars),
            ("GET", "/me/calendar", "calendar.calendars.get", read, self.get_calendar),
            ("GET", c, "calendar.calendars.get", read, self.get_calendar),
            ("GET", "/me/calendarView/delta", "calendar.view.delta", read, self.delta),
            ("GET", c + "/calendarView/delta", "calendar.view.delta", read, self.delta),
            ("GET", "/me/calendarView", "calendar.view.list", read, self.view),
            ("GET", c + "/calendarView", "calendar.view.list", read, self.view),
            ("GET", "/me/events", "calendar.events.list", read, self.list_events),
            ("GET", c + "/events", "calendar.events.list", read, self.list_events),
            ("POST", "/me/events", "calendar.events.create", write, self.create),
            ("POST", "/me/calendar/events", "calendar.events.create", write, self.create),
            ("POST", c + "/events", "calendar.events.create", write, self.create),
            ("GET", e, "calendar.events.get", read, self.get),
            ("PATCH", e, "calendar.events.update", write, self.update),
            ("DELETE", e, "calendar.events.delete", write, self.delete),
            ("POST", e + "/cancel", "calendar.events.cancel", write, self.cancel),
            ("GET", e + "/instances", "calendar.events.instances", read, self.instances),
        ]

    def account(self, call: Call) -> CalendarAccount:
        return self.world.calendar_account(call.email)

    def list_calendars(self, call: Call) -> dict:
        account = self.account(call)
        return {"value": [odata.apply_select(render_calendar(account, c), odata.selected(call.req))
                          for c in account.calendars.values()]}

    def get_calendar(self, call: Call) -> dict:
        account = self.account(call)
        calendar = account.calendar(call.req.path_params.get("calendar"))
        return odata.apply_select(render_calendar(account, calendar), odata.selected(call.req))

    def get(self, call: Call) -> dict:
        account = self.account(call)
        return odata.apply_select(render_event(account, call.req.path_params["id"]), odata.selected(call.req))

    def create(self, call: Call) -> Response:
        account = self.account(call)
        event = account.insert(call.req.path_params.get("calendar"), call.json())
        return Response.json(201, render_event(account, event.id))

    def update(self, call: Call) -> dict:
        account = self.account(call)
        event_id = account.update(call.req.path_params["id"], call.json(), call.req.headers.get("if-match"))
        return render_event(account, event_id)

    def delete(self, call: Call) -> Response:
        self.account(call).delete(call.req.path_params["id"], call.req.headers.get("if-match"))
        return Response(204)

    def cancel(self, call: Call) -> Response:
        """The organizer cancels: attendees are notified and the event (or occurrence) leaves the
        organizer's calendar, so views and deltas report it removed."""
        account = self.account(call)
        event_id = call.req.path_params["id"]
        if not render_event(account, event_id)["isOrganizer"]:
            raise bad_request("Your request can't be completed. You need to be an organizer to cancel a meeting.",
                              "ErrorAccessDenied")
        account.delete(event_id)
        return Response(202)

    def instances(self, call: Call) -> dict:
        account = self.account(call)
        event, day = account.resolve(call.req.path_params["id"])
        if day is not None or not event.is_series:
            return {"value": []}
        start, end = window(call)
        return {"value": [render_instance(account, i) for i in account.instances_of(event, start, end)]}

    def view(self, call: Call) -> dict:
        account = self.account(call)
        start, end = window(call)
        found = account.view(call.req.path_params.get("calendar"), start, end)
        size, offset = odata.top(call.req), odata.skip(call.req)
        answer = {"value": [odata.apply_select(render_instance(account, i), odata.selected(call.req))
                            for i in found[offset:offset + size]]}
        if offset + size < len(found):
            answer["@odata.nextLink"] = odata.next_link(call.base, call.req, offset + size)
        return answer

    def list_events(self, call: Call) -> dict:
        """Singles and series masters (no occurrences), as ``/events`` lists them."""
        account = self.account(call)
        calendar = account.calendar(call.req.path_params.get("calendar"))
        events = sorted((e for e in account.events.values() if e.calendar_id == calendar.id),
                        key=lambda e: (e.created, e.id))
        size, offset = odata.top(call.req), odata.skip(call.req)
        answer = {"value": [odata.apply_select(render_event(account, e.id), odata.selected(call.req))
                            for e in events[offset:offset + size]]}
        if offset + size < len(events):
            answer["@odata.nextLink"] = odata.next_link(call.base, call.req, offset + size)
        return answer

    def delta(self, call: Call) -> dict:
        account = self.account(call)
        calendar_ref = call.req.path_params.get("calendar")
        calendar = account.calendar(calendar_ref)
        skiptoken, deltatoken = call.req.param("$skiptoken"), call.req.param("$deltatoken")
        if skiptoken or deltatoken:
            token = skiptoken or deltatoken
            state = account.delta.states.get(token)
            scope = state.scope if state is not None and state.scope[:2] == ("calendar", calendar.id) else ()
            state = account.delta.load(token, scope)
            if deltatoken:
                now = account.snapshot(calendar.id, *state.options["window"])
                state = account.delta.round(scope, state.options, state.snapshot, now)
        else:
            start, end = window(call)
            scope = ("calendar", calendar.id, start.isoformat(), end.isoformat())
            options = {"window": (start, end)}
            state = account.delta.round(scope, options, {}, account.snapshot(calendar.id, start, end))
        entries, link_param, token = account.delta.page(state, call.page_size())
        values = []
        current = {i.id: i for i in account.view(calendar.id, *state.options["window"])}
        for kind, key in entries:
            if kind == "removed":
                values.append({"@odata.type": "#microsoft.graph.event", "id": key, "@removed": {"reason": "deleted"}})
            elif key in current:
                values.append(render_instance(account, current[key]))
        prefix = f"/me/calendars/{calendar_ref}" if calendar_ref else "/me"
        link = f"{call.base}/v1.0{prefix}/calendarView/delta?{link_param}={token}"
        answer = {"@odata.context": f"{call.base}/v1.0/$metadata#Collection(event)", "value": values}
        answer["@odata.nextLink" if link_param == "$skiptoken" else "@odata.deltaLink"] = link
        return answer
