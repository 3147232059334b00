"""QuickBooks Online's calls on the core pipeline.

    OAuth (no token, no quota): discovery, /connect/oauth2, tokens/bearer, tokens/revoke (``oauth``)
    /v3/company/{realmId}/...: fault rule? -> route -> bearer token (401 3200) for this realm with
        the accounting scope (403 3100) -> realm concurrency slot -> request rate (429 3001)
        -> (injected delay or hold) -> handler -> request log (provider "quickbooks", user = realm)

    GET  /v3/company/{realmId}/query?query=...&minorversion=75     (POST: the query as application/text)
    GET  /v3/company/{realmId}/cdc?entities=...&changedSince=...
    GET  /v3/company/{realmId}/{customer|invoice|payment}/{id}     (a deleted or unknown one: 400 610)

``minorversion`` is accepted and ignored (below 75 QBO serves 75). Anything else answers 404.
"""

from __future__ import annotations

import re
import secrets

from ..core.app import App, Exchange
from ..core.errors import HttpError
from ..core.faults import FaultRule, Faults
from ..core.requestlog import RequestLog
from ..core.tokens import bearer_token
from ..core.wire import Request, Response
from . import cdc, query
from .clock import stamp
from .entities import NAMES
from .errors import (
    QuickBooksFault,
    fault_error,
    forbidden,
    in_quickbooks_format,
    not_found,
    object_not_found,
    unauthenticated,
)
from .oauth import SCOPE, QuickBooksOAuth
from .quota import SERVICE, QuickBooksQuota
from .state import World

COMPANY = re.compile(r"^/v3/company/(?P<realm>[^/]+)/(?P<rest>.+?)/?$")
READ = re.compile(r"^(?P<entity>customer|invoice|payment)/(?P<id>[^/]+)$", re.I)
OAUTH = {("GET", "/.well-known/openid-configuration"): "oauth.discovery",
         ("GET", "/connect/oauth2"): "oauth.authorize",
         ("POST", "/oauth2/v1/tokens/bearer"): "oauth.token",
         ("POST", "/v2/oauth2/tokens/revoke"): "oauth.revoke",
         ("GET", "/oauth2/v1/keys"): "oauth.keys"}


class QuickBooksApp(App):
    provider = "quickbooks"

    def __init__(self, world: World, oauth: QuickBooksOAuth, quota: QuickBooksQuota, faults: Faults,
                 log: RequestLog, base_url, admin=None) -> None:
        super().__init__(faults, log, admin)
        self.world, self.oauth, self.quota = world, oauth, quota
        self.base_url = base_url  # callable: the sandbox's base URL (known once it listens)

    # -- core seams ----------------------------------------------------------------------------
    def fault_error(self, rule: FaultRule) -> HttpError:
        return self._dated(fault_error(rule))

    def provider_error(self, error: HttpError) -> HttpError:
        return self._dated(in_quickbooks_format(error))

    def _dated(self, error: HttpError) -> HttpError:
        if isinstance(error, QuickBooksFault):
            error.clock = self.world.clock
        return error

    def method_of(self, req: Request) -> str | None:
        oauth = OAUTH.get((req.method, req.path.rstrip("/") or "/"))
        if oauth:
            return oauth
        found = COMPANY.match(req.path)
        if not found:
            return None
        rest = found["rest"].lower()
        if rest in ("query", "cdc"):
            return rest
        read = READ.match(found["rest"])
        return f"{read['entity'].lower()}.read" if read else None

    # -- one call ------------------------------------------------------------------------------
    def dispatch(self, req: Request, exchange: Exchange) -> Response:
        method = exchange.method_id
        if method and method.startswith("oauth."):
            return self._oauth(method, req, exchange)
        found = COMPANY.match(req.path)
        if method is None or found is None:
            raise not_found(req.path)
        allowed = ("GET", "POST") if method == "query" else ("GET",)
        if req.method not in allowed:
            raise not_found(f"{req.method} {req.path}")
        realm_id = found["realm"]
        self._authorize(req, realm_id)
        exchange.user = realm_id
        with self.quota.slot(realm_id):
            self.quota.charge(realm_id, SERVICE, 1)
            exchange.units = 1
            exchange.pause()
            with self.world.lock:
                realm = self.world.realm(realm_id)
                answer = self._handle(method, req, realm, found["rest"])
                answer["time"] = stamp(self.world.clock.precise())
                return Response.json(200, answer, {"intuit_tid": f"1-{secrets.token_hex(8)}"})

    def _authorize(self, req: Request, realm_id: str) -> None:
        token = bearer_token(req.headers.get("authorization"))
        if not token:
            raise unauthenticated("Authorization header missing or not Bearer")
        with self.world.lock:
            grant = self.oauth.tokens.lookup(token)
            if grant is None:
                raise unauthenticated("Token expired or invalid")
            if grant.email != realm_id or realm_id not in self.world.realms:
                raise forbidden(f"the token is not authorized for company {realm_id}")
            if SCOPE not in grant.scopes:
                raise forbidden(f"the token lacks the scope {SCOPE}")

    def _handle(self, method: str, req: Request, realm, rest: str) -> dict:
        if method == "query":
            text = req.param("query")
            if req.method == "POST":
                text = req.body.decode("utf-8", "replace")
            parsed = query.parse(text or "")
            return {"QueryResponse": query.run(parsed, list(realm.live[parsed.entity].values()))}
        if method == "cdc":
            return cdc.changes(realm, req.param("entities"), req.param("changedSince"), self.world.clock.now())
        read = READ.match(rest)
        name = NAMES[read["entity"].lower()]
        try:
            return {name: realm.get(name, read["id"])}
        except KeyError:
            raise object_not_found(name, read["id"]) from None

    def _oauth(self, method: str, req: Request, exchange: Exchange) -> Response:
        with self.world.lock:
            if method == "oauth.discovery":
                return Response.json(200, self.oauth.discovery(self.base_url()))
            if method == "oauth.keys":
                return Response.json(200, {"keys": []})
            if method == "oauth.authorize":
                return self.oauth.authorize(req)
            if method == "oauth.token":
                realm_id, answer = self.oauth.token(req)
                exchange.user = realm_id
                return Response.json(200, answer, {"Cache-Control": "no-store"})
            exchange.user = self.oauth.revoke(req)
            return Response(200, b"", [])
