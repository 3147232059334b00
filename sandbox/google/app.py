"""Google's calls on the core pipeline, in Google's order.

    fault rule? -> route (discovery path) -> Bearer token -> scope -> user -> concurrency slot
    -> quota units -> (injected delay or hold) -> handler -> (injected body corruption) -> request log

OAuth endpoints skip token, scope and quota; ``/_sandbox/`` admin calls skip everything and are
never logged, so tests count only what a client did. The batch endpoint runs each inner call
through the same pipeline.
"""

from __future__ import annotations

import time

from ..core.app import App, Exchange
from ..core.errors import HttpError
from ..core.faults import FaultRule, Faults, pause
from ..core.requestlog import RequestLog
from ..core.routing import Router
from ..core.wire import Request, Response
from . import spec
from .batch import parse_batch, render_batch
from .calendar_api import CalendarApi
from .errors import ApiError, fault_error, in_google_format, insufficient_permissions
from .gmail_api import Call, GmailApi
from .oauth import OAuth
from .quota import GoogleQuota
from .state import World

OAUTH_PATHS = {
    ("GET", "/o/oauth2/v2/auth"): "authorize",
    ("GET", "/o/oauth2/auth"): "authorize",
    ("POST", "/token"): "token",
    ("POST", "/oauth2/v4/token"): "token",
    ("POST", "/revoke"): "revoke",
    ("POST", "/o/oauth2/revoke"): "revoke",
}
BATCH_PATHS = {"/batch", "/batch/gmail/v1", "/batch/calendar/v3"}
CERTS_PATH = "/oauth2/v1/certs"  # the public keys of the OIDC tokens on Gmail pushes ({kid: PEM})


class GoogleApp(App):
    provider = "google"

    def __init__(self, world: World, oauth: OAuth, quota: GoogleQuota, faults: Faults, log: RequestLog,
                 admin=None, pubsub=None, channels=None) -> None:
        super().__init__(faults, log, admin)
        self.world, self.oauth, self.quota, self.pubsub = world, oauth, quota, pubsub
        self.router = Router()
        handlers = {**GmailApi(world, pubsub).handlers(), **CalendarApi(world, channels).handlers()}
        for method_id, handler in handlers.items():
            method = spec.method(method_id)
            self.router.add(method.http_method, method.regex, handler, method)

    def served_methods(self) -> list[spec.MethodSpec]:
        return [route.spec for route in self.router.all()]

    # -- core seams ----------------------------------------------------------------------------
    def fault_error(self, rule: FaultRule) -> ApiError:
        return fault_error(rule)

    def provider_error(self, error: HttpError) -> HttpError:
        return in_google_format(error)

    def handle(self, req: Request) -> Response:
        if req.method == "POST" and req.path in BATCH_PATHS:
            return self._batch(req)
        if req.method == "GET" and req.path == CERTS_PATH and self.pubsub is not None:
            return self._certs(req)
        return super().handle(req)

    def _certs(self, req: Request) -> Response:
        """The OIDC keys, logged like an API call (tests count how often a receiver fetches them);
        a ``delay`` or ``hold`` fault on the path slows them as Google's could be."""
        started = time.perf_counter()
        rule = self.faults.pick(req.method, req.path)
        pause(rule)
        self.log.record(provider=self.provider, method=req.method, path=req.path, query=req.query, in_batch=False,
                        status=200, fault=rule.kind if rule else None, duration=time.perf_counter() - started,
                        method_id=None, user=None, units=0)
        return Response.json(200, self.pubsub.certs())

    def _batch(self, req: Request) -> Response:
        started = time.perf_counter()
        try:
            calls = parse_batch(req)
        except HttpError as error:
            response = self.error_response(error)
        else:
            results = []
            for index, (content_id, inner) in enumerate(calls):
                response = self.call(inner, in_batch=True)
                if response.reset:
                    break
                results.append((content_id or str(index + 1), response))
            else:
                response = render_batch(results)
        self.log.record(method=req.method, path=req.path, method_id="batch", user=None, units=0,
                        status=0 if response.reset else response.status, in_batch=False,
                        duration=time.perf_counter() - started)
        return response

    def dispatch(self, req: Request, exchange: Exchange) -> Response:
        oauth_endpoint = OAUTH_PATHS.get((req.method, req.path))
        if oauth_endpoint:
            exchange.method_id = f"oauth.{oauth_endpoint}"
            with self.world.lock:
                return getattr(self.oauth, oauth_endpoint)(req)
        route = self.router.match(req)
        if route is None:
            raise ApiError(404, "notFound", f"Method not found: {req.method} {req.path}")
        method = route.spec
        exchange.method_id = method.id
        req.allowed = frozenset(method.parameters)
        with self.world.lock:
            grant = self.oauth.authenticate(req.headers.get("authorization"))
        if not grant.scopes.intersection(method.scopes):
            raise insufficient_permissions()
        email = grant.email
        user_id = req.path_params.get("userId")
        if user_id is not None and user_id != "me" and user_id.lower() != email:
            raise ApiError(403, "forbidden", f"Delegation denied for {email}")
        exchange.user = email
        with self.quota.slot(email):
            units = method.units_in(self.quota.config.gmail_table)
            self.quota.charge(email, method.service, units)
            exchange.units = units
            exchange.pause()
            with self.world.lock:
                result = route.handler(Call(req, email, grant.scopes))
                if result is None or not method.returns:
                    return Response(204)
                return Response.json(200, result)
