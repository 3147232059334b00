"""The admin HTTP API under ``/_sandbox/``: the ``Sandbox`` mutation methods over HTTP, for the
demo, shell scripts and clients in other processes. Never faulted, never metered, never logged.

    POST   /_sandbox/reset
    GET    /_sandbox/requests[?path=&user=&method_id=&status=&since=]   DELETE /_sandbox/requests
    GET    /_sandbox/accounts                                          POST /_sandbox/accounts {email}
    POST   /_sandbox/oauth/tokens {email, scopes, offline?}  -> token response
    POST   /_sandbox/oauth/revoke {email? | refresh_token?}
    POST   /_sandbox/oauth/expire {email?}       PUT /_sandbox/oauth {access_token_lifetime?, consent_as?}
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
    GET|POST|DELETE /_sandbox/faults     (POST: {path, kind, status, method, count, probability,
                                          retry_after, delay_seconds, skip}; DELETE also lets
                                          requests held by a "hold" fault go)
    GET|PUT /_sandbox/quota              (PUT: any QuotaConfig field)
    POST   /_sandbox/generate {users, messages, events, seed?}
"""

from __future__ import annotations

import re
from dataclasses import asdict
from urllib.parse import unquote

from .errors import ApiError
from .wire import Request, Response

U = r"(?P<email>[^/]+)"
C = r"(?P<calendar>[^/]+)"


class AdminApi:
    def __init__(self, sandbox) -> None:
        self.sb = sandbox
        self.routes = [
            ("POST", r"/_sandbox/reset", self.reset),
            ("GET", r"/_sandbox/requests", self.requests),
            ("DELETE", r"/_sandbox/requests", self.clear_requests),
            ("GET", r"/_sandbox/accounts", self.accounts),
            ("POST", r"/_sandbox/accounts", self.add_account),
            ("POST", r"/_sandbox/oauth/tokens", self.tokens),
            ("POST", r"/_sandbox/oauth/revoke", self.revoke),
            ("POST", r"/_sandbox/oauth/expire", self.expire),
            ("PUT", r"/_sandbox/oauth", self.oauth_settings),
            ("POST", rf"/_sandbox/gmail/users/{U}/messages", self.import_message),
            ("DELETE", rf"/_sandbox/gmail/users/{U}/messages/(?P<id>[^/]+)", self.delete_message),
            ("POST", rf"/_sandbox/gmail/users/{U}/messages/(?P<id>[^/]+)/labels", self.relabel),
            ("POST", rf"/_sandbox/gmail/users/{U}/messages/(?P<id>[^/]+)/trash", self.trash),
            ("POST", rf"/_sandbox/gmail/users/{U}/labels", self.add_label),
            ("POST", rf"/_sandbox/gmail/users/{U}/history/expire", self.expire_history),
            ("POST", rf"/_sandbox/calendar/users/{U}/calendars", self.add_calendar),
            ("POST", rf"/_sandbox/calendar/users/{U}/calendars/{C}/events", self.import_event),
            ("PATCH", rf"/_sandbox/calendar/users/{U}/calendars/{C}/events/(?P<id>[^/]+)", self.update_event),
            ("DELETE", rf"/_sandbox/calendar/users/{U}/calendars/{C}/events/(?P<id>[^/]+)", self.cancel_event),
            ("POST", rf"/_sandbox/calendar/users/{U}/calendars/{C}/events/(?P<id>[^/]+)/exceptions",
             self.add_exception),
            ("POST", rf"/_sandbox/calendar/users/{U}/sync-tokens/invalidate", self.invalidate),
            ("GET", r"/_sandbox/faults", self.list_faults),
            ("POST", r"/_sandbox/faults", self.add_fault),
            ("DELETE", r"/_sandbox/faults", self.clear_faults),
            ("GET", r"/_sandbox/quota", self.get_quota),
            ("PUT", r"/_sandbox/quota", self.set_quota),
            ("POST", r"/_sandbox/generate", self.generate),
        ]
        self.routes = [(m, re.compile(f"^{p}$"), h) for m, p, h in self.routes]

    def handle(self, req: Request) -> Response:
        for method, pattern, handler in self.routes:
            found = pattern.match(req.path)
            if found and method == req.method:
                args = {k: unquote(v) for k, v in found.groupdict().items()}
                try:
                    result = handler(req, **args)
                except ApiError as error:
                    return Response.json(error.code, error.body())
                except KeyError as error:
                    return Response.json(404, {"error": f"not found: {error}"})
                except (ValueError, TypeError) as error:
                    return Response.json(400, {"error": str(error)})
                return Response.json(200, result if result is not None else {})
        return Response.json(404, {"error": f"no admin endpoint {req.method} {req.path}"})

    # -- handlers ----------------------------------------------------------------------------
    def reset(self, req):
        self.sb.reset()

    def requests(self, req):
        filters = {k: req.param(k) for k in ("path", "user", "method_id", "method")}
        for key in ("status", "since"):
            if req.param(key):
                filters[key] = int(req.param(key))
        entries = self.sb.requests(**filters)
        return {"count": len(entries), "requests": entries}

    def clear_requests(self, req):
        self.sb.clear_requests()

    def accounts(self, req):
        return {"accounts": self.sb.accounts()}

    def add_account(self, req):
        return {"email": self.sb.add_account(req.json()["email"])}

    def tokens(self, req):
        body = req.json()
        return self.sb.issue_tokens(body["email"], body.get("scopes") or [], body.get("offline", True))

    def revoke(self, req):
        body = req.json()
        return {"revoked": self.sb.revoke_refresh_tokens(body.get("email"), body.get("refresh_token"))}

    def expire(self, req):
        return {"expired": self.sb.expire_access_tokens(req.json().get("email"))}

    def oauth_settings(self, req):
        body = req.json()
        if "access_token_lifetime" in body:
            self.sb.set_access_token_lifetime(float(body["access_token_lifetime"]))
        if "consent_as" in body:
            self.sb.consent_as(body["consent_as"])

    def import_message(self, req, email):
        body = req.json()
        return self.sb.import_message(email, body, body.get("labelIds"))

    def delete_message(self, req, email, id):
        return {"historyId": str(self.sb.delete_message(email, id))}

    def relabel(self, req, email, id):
        body = req.json()
        return {"historyId": str(self.sb.relabel(email, id, body.get("add") or [], body.get("remove") or []))}

    def trash(self, req, email, id):
        return {"historyId": str(self.sb.trash_message(email, id))}

    def add_label(self, req, email):
        return {"id": self.sb.add_label(email, req.json()["name"])}

    def expire_history(self, req, email):
        self.sb.expire_history_before(email, int(req.json()["before"]))

    def add_calendar(self, req, email):
        body = req.json()
        return {"id": self.sb.add_calendar(email, body["id"], body.get("summary"), body.get("timeZone", "UTC"))}

    def import_event(self, req, email, calendar):
        return self.sb.import_event(email, req.json(), calendar)

    def update_event(self, req, email, calendar, id):
        return self.sb.update_event(email, id, req.json(), calendar)

    def cancel_event(self, req, email, calendar, id):
        return self.sb.cancel_event(email, id, calendar)

    def add_exception(self, req, email, calendar, id):
        body = req.json()
        return self.sb.add_exception(email, id, body["originalStartTime"], body.get("changes"),
                                     bool(body.get("cancelled")), calendar)

    def invalidate(self, req, email):
        self.sb.invalidate_sync_tokens(email, req.json().get("calendarId"))

    def list_faults(self, req):
        return {"faults": [r.as_dict() for r in self.sb.faults.rules]}

    def add_fault(self, req):
        body = req.json()
        path = body.pop("path")
        return self.sb.add_fault(path, body.pop("kind", "status"), **body)

    def clear_faults(self, req):
        self.sb.clear_faults()

    def get_quota(self, req):
        return asdict(self.sb.quota.config)

    def set_quota(self, req):
        return asdict(self.sb.set_quota(**req.json()))

    def generate(self, req):
        body = req.json()
        return self.sb.generate(body["users"], body.get("messages", 50), body.get("events", 20),
                                body.get("seed"))
