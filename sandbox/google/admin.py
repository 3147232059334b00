"""Google's admin endpoints under ``/_sandbox/``, added to the core's (``core.admin``): the Gmail
and Calendar changes of ``Sandbox`` over HTTP.

    POST   /_sandbox/gmail/users/{email}/messages {raw} | Message resource  -> {id, threadId, historyId}
    DELETE /_sandbox/gmail/users/{email}/messages/{id}
    POST   /_sandbox/gmail/users/{email}/messages/{id}/labels {add, remove}
    POST   /_sandbox/gmail/users/{email}/messages/{id}/trash
    POST   /_sandbox/gmail/users/{email}/labels {name}
    POST   /_sandbox/gmail/users/{email}/history/expire {before}
    POST   /_sandbox/calendar/users/{email}/calendars {id, summary?, timeZone?}
    POST   /_sandbox/calendar/users/{email}/calendars/{calendarId}/events  Event resource
    PATCH  /_sandbox/calendar/users/{email}/calendars/{calendarId}/events/{eventId}  changes
    DELETE /_sandbox/calendar/users/{email}/calendars/{calendarId}/events/{eventId}
    POST   /_sandbox/calendar/users/{email}/calendars/{calendarId}/events/{eventId}/exceptions
           {originalStartTime, changes?, cancelled?}
    POST   /_sandbox/calendar/users/{email}/sync-tokens/invalidate {calendarId?}
    POST   /_sandbox/generate {users, messages, events, seed?}
    PUT    /_sandbox/google/webhooks {public_url?, bad_signature?, duplicates?, hold?}: Gmail pushes to the app
    POST   /_sandbox/google/webhooks/release {reverse?}: send the held pushes (newest first)
"""

from __future__ import annotations

from ..core.admin import ACCOUNT as U
from ..core.webhooks import webhook_admin_routes

C = r"(?P<calendar>[^/]+)"
ID = r"(?P<id>[^/]+)"


def google_admin_routes(sb) -> list[tuple]:
    """``(method, regex, handler)`` for the core ``AdminApi``; handlers call ``sb`` (a ``Sandbox``)."""

    def import_message(req, email):
        body = req.json()
        return sb.import_message(email, body, body.get("labelIds"))

    def delete_message(req, email, id):
        return {"historyId": str(sb.delete_message(email, id))}

    def relabel(req, email, id):
        body = req.json()
        return {"historyId": str(sb.relabel(email, id, body.get("add") or [], body.get("remove") or []))}

    def trash(req, email, id):
        return {"historyId": str(sb.trash_message(email, id))}

    def add_label(req, email):
        return {"id": sb.add_label(email, req.json()["name"])}

    def expire_history(req, email):
        sb.expire_history_before(email, int(req.json()["before"]))

    def add_calendar(req, email):
        body = req.json()
        return {"id": sb.add_calendar(email, body["id"], body.get("summary"), body.get("timeZone", "UTC"))}

    def import_event(req, email, calendar):
        return sb.import_event(email, req.json(), calendar)

    def update_event(req, email, calendar, id):
        return sb.update_event(email, id, req.json(), calendar)

    def cancel_event(req, email, calendar, id):
        return sb.cancel_event(email, id, calendar)

    def add_exception(req, email, calendar, id):
        body = req.json()
        return sb.add_exception(email, id, body["originalStartTime"], body.get("changes"),
                                bool(body.get("cancelled")), calendar)

    def invalidate(req, email):
        sb.invalidate_sync_tokens(email, req.json().get("calendarId"))

    def generate(req):
        body = req.json()
        return sb.generate(body["users"], body.get("messages", 50), body.get("events", 20), body.get("seed"))

    return [
        *webhook_admin_routes("/_sandbox/google", sb.webhooks),
        ("POST", rf"/_sandbox/gmail/users/{U}/messages", import_message),
        ("DELETE", rf"/_sandbox/gmail/users/{U}/messages/{ID}", delete_message),
        ("POST", rf"/_sandbox/gmail/users/{U}/messages/{ID}/labels", relabel),
        ("POST", rf"/_sandbox/gmail/users/{U}/messages/{ID}/trash", trash),
        ("POST", rf"/_sandbox/gmail/users/{U}/labels", add_label),
        ("POST", rf"/_sandbox/gmail/users/{U}/history/expire", expire_history),
        ("POST", rf"/_sandbox/calendar/users/{U}/calendars", add_calendar),
        ("POST", rf"/_sandbox/calendar/users/{U}/calendars/{C}/events", import_event),
        ("PATCH", rf"/_sandbox/calendar/users/{U}/calendars/{C}/events/{ID}", update_event),
        ("DELETE", rf"/_sandbox/calendar/users/{U}/calendars/{C}/events/{ID}", cancel_event),
        ("POST", rf"/_sandbox/calendar/users/{U}/calendars/{C}/events/{ID}/exceptions", add_exception),
        ("POST", rf"/_sandbox/calendar/users/{U}/sync-tokens/invalidate", invalidate),
        ("POST", r"/_sandbox/generate", generate),
    ]
