"""Microsoft's admin endpoints under ``/_sandbox/``, added to the core's (``core.admin``): the
mailbox and calendar changes of ``Sandbox`` over HTTP. Imports take resources as Graph returns them.

    POST   /_sandbox/microsoft/users/{email}/messages?folder=inbox   Graph message -> stored message
    PATCH  /_sandbox/microsoft/users/{email}/messages/{id}           changes
    DELETE /_sandbox/microsoft/users/{email}/messages/{id}
    POST   /_sandbox/microsoft/users/{email}/messages/{id}/move      {folder}
    POST   /_sandbox/microsoft/users/{email}/delta/expire
    POST   /_sandbox/microsoft/users/{email}/calendars               {name} -> {id}
    POST   /_sandbox/microsoft/users/{email}/events?calendar=ID      Graph event -> stored event
    PATCH  /_sandbox/microsoft/users/{email}/events/{id}             changes
    POST   /_sandbox/microsoft/users/{email}/events/{id}/cancel
    DELETE /_sandbox/microsoft/users/{email}/events/{id}
    POST   /_sandbox/microsoft/generate                              {users, messages, events, seed?}
    PUT    /_sandbox/microsoft/webhooks {public_url?, bad_signature?, duplicates?, hold?}: change
           notifications to the app (bad_signature: a wrong clientState)
    POST   /_sandbox/microsoft/webhooks/release {reverse?}           send the held notifications
    POST   /_sandbox/microsoft/subscriptions/{id}/lifecycle {event}  reauthorizationRequired | missed |
                                                                     subscriptionRemoved
"""

from __future__ import annotations

from ..core.admin import ACCOUNT as U
from ..core.webhooks import webhook_admin_routes

ID = r"(?P<id>[^/]+)"
P = "/_sandbox/microsoft"


def microsoft_admin_routes(sb) -> list[tuple]:
    """``(method, regex, handler)`` for the core ``AdminApi``; handlers call ``sb`` (a ``Sandbox``)."""

    def import_message(req, email):
        return sb.import_message(email, req.json(), req.param("folder") or "inbox")

    def update_message(req, email, id):
        return sb.update_message(email, id, req.json())

    def delete_message(req, email, id):
        sb.delete_message(email, id)

    def move_message(req, email, id):
        return sb.move_message(email, id, req.json()["folder"])

    def expire(req, email):
        return {"expired": sb.expire_delta_tokens(email)}

    def add_calendar(req, email):
        return {"id": sb.add_calendar(email, req.json()["name"])}

    def import_event(req, email):
        return sb.import_event(email, req.json(), req.param("calendar"))

    def update_event(req, email, id):
        return sb.update_event(email, id, req.json())

    def cancel_event(req, email, id):
        return sb.cancel_event(email, id)

    def delete_event(req, email, id):
        sb.delete_event(email, id)

    def lifecycle(req, id):
        sent = sb.lifecycle(id, (req.json() or {}).get("event", ""))
        return {"delivered": [{"url": d.url, "status": d.status} for d in sent]}

    def generate(req):
        body = req.json()
        return sb.generate(body["users"], body.get("messages", 50), body.get("events", 20), body.get("seed"))

    return [
        ("POST", rf"{P}/users/{U}/messages", import_message),
        ("PATCH", rf"{P}/users/{U}/messages/{ID}", update_message),
        ("DELETE", rf"{P}/users/{U}/messages/{ID}", delete_message),
        ("POST", rf"{P}/users/{U}/messages/{ID}/move", move_message),
        ("POST", rf"{P}/users/{U}/delta/expire", expire),
        ("POST", rf"{P}/users/{U}/calendars", add_calendar),
        ("POST", rf"{P}/users/{U}/events", import_event),
        ("PATCH", rf"{P}/users/{U}/events/{ID}", update_event),
        ("POST", rf"{P}/users/{U}/events/{ID}/cancel", cancel_event),
        ("DELETE", rf"{P}/users/{U}/events/{ID}", delete_event),
        ("POST", rf"{P}/generate", generate),
        ("POST", rf"{P}/subscriptions/{ID}/lifecycle", lifecycle),
        *webhook_admin_routes(P, sb.webhooks),
    ]
