"""The admin HTTP API under ``/_sandbox/``: a sandbox's mutation methods over HTTP, for the demo,
shell scripts and clients in other processes. Never faulted, never metered, never logged.

Every sandbox answers these (``BaseSandbox`` implements them):

    POST   /_sandbox/reset
    GET    /_sandbox/requests[?path=&user=&method_id=&status=&since=]   DELETE /_sandbox/requests
    GET    /_sandbox/accounts                                          POST /_sandbox/accounts {email}
    POST   /_sandbox/oauth/tokens {email, scopes, offline?}  -> token response    (OAuth providers)
    POST   /_sandbox/oauth/revoke {email? | refresh_token?}
    POST   /_sandbox/oauth/expire {email?}       PUT /_sandbox/oauth {access_token_lifetime?, consent_as?, consent_page?}
    GET|POST|DELETE /_sandbox/faults     (POST: {path, kind, status, method, count, probability,
                                          retry_after, delay_seconds, skip}; DELETE also lets
                                          requests held by a "hold" fault go)
    GET|PUT /_sandbox/quota              (PUT: any field of the provider's quota config)

Seam: a provider's sandbox adds its own endpoints (imports, changes, ``/_sandbox/generate``) by
returning ``(method, regex, handler)`` triples from ``admin_routes()``; a handler gets the request
and the regex's named groups and returns a JSON-able value. ``KeyError`` answers 404,
``ValueError``/``TypeError`` 400, an ``HttpError`` its code in the provider's format.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from urllib.parse import unquote

from .errors import HttpError
from .wire import Request, Response

ACCOUNT = r"(?P<email>[^/]+)"


class AdminApi:
    def __init__(self, sandbox, provider_routes=()) -> None:
        self.sb = sandbox
        routes = [
            ("POST", r"/_sandbox/reset", self.reset),
            ("GET", r"/_sandbox/requests", self.requests),
            ("DELETE", r"/_sandbox/requests", self.clear_requests),
            ("GET", r"/_sandbox/accounts", self.accounts),
            ("POST", r"/_sandbox/accounts", self.add_account),
        ]
        if sandbox.tokens is not None:
            routes += [
                ("POST", r"/_sandbox/oauth/tokens", self.tokens),
                ("POST", r"/_sandbox/oauth/revoke", self.revoke),
                ("POST", r"/_sandbox/oauth/expire", self.expire),
                ("PUT", r"/_sandbox/oauth", self.oauth_settings),
            ]
        routes += list(provider_routes)
        routes += [
            ("GET", r"/_sandbox/faults", self.list_faults),
            ("POST", r"/_sandbox/faults", self.add_fault),
            ("DELETE", r"/_sandbox/faults", self.clear_faults),
            ("GET", r"/_sandbox/quota", self.get_quota),
            ("PUT", r"/_sandbox/quota", self.set_quota),
        ]
        self.routes = [(m, re.compile(f"^{p}$"), h) for m, p, h in routes]

    def handle(self, req: Request) -> Response:
        for method, pattern, handler in self.routes:
            found = pattern.match(req.path)
            if found and method == req.method:
                args = {k: unquote(v) for k, v in found.groupdict().items()}
                try:
                    result = handler(req, **args)
                except HttpError as error:
                    error = self.sb.app.provider_error(error)
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
        if "consent_page" in body:
            self.sb.show_consent_page(bool(body["consent_page"]))

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
