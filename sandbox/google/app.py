"""The request pipeline every Google call goes through, in Google's order.

    fault rule? -> route (discovery path) -> Bearer token -> scope -> user -> concurrency slot
    -> quota units -> (injected delay or hold) -> handler -> (injected body corruption) -> request log

OAuth endpoints skip token, scope and quota; ``/_sandbox/`` admin calls skip everything and are
never logged, so tests count only what a client did.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import unquote

from . import spec
from .batch import parse_batch, render_batch
from .calendar_api import CalendarApi
from .errors import ApiError, OAuthError, insufficient_permissions
from .faults import Faults, corrupt
from .gmail_api import Call, GmailApi
from .oauth import OAuth
from .quota import Quota
from .requestlog import RequestLog
from .state import World
from .wire import Request, Response

OAUTH_PATHS = {
    ("GET", "/o/oauth2/v2/auth"): "authorize",
    ("GET", "/o/oauth2/auth"): "authorize",
    ("POST", "/token"): "token",
    ("POST", "/oauth2/v4/token"): "token",
    ("POST", "/revoke"): "revoke",
    ("POST", "/o/oauth2/revoke"): "revoke",
}
BATCH_PATHS = {"/batch", "/batch/gmail/v1", "/batch/calendar/v3"}


@dataclass
class Route:
    spec: spec.MethodSpec
    handler: object


class App:
    def __init__(self, world: World, oauth: OAuth, quota: Quota, faults: Faults, log: RequestLog,
                 admin=None) -> None:
        self.world, self.oauth, self.quota, self.faults, self.log = world, oauth, quota, faults, log
        self.admin = admin
        self.routes: dict[str, list[Route]] = {}
        handlers = {**GmailApi(world).handlers(), **CalendarApi(world).handlers()}
        for method_id, handler in handlers.items():
            method = spec.method(method_id)
            self.routes.setdefault(method.http_method, []).append(Route(method, handler))
        for routes in self.routes.values():  # literal segments beat parameters ("send" vs "{id}")
            routes.sort(key=lambda r: r.spec.path.count("{"))

    def served_methods(self) -> list[spec.MethodSpec]:
        return [r.spec for routes in self.routes.values() for r in routes]

    # -- entry -------------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        if req.path.startswith("/_sandbox/") and self.admin is not None:
            return self.admin.handle(req)
        if req.method == "POST" and req.path in BATCH_PATHS:
            return self._batch(req)
        return self.call(req)

    def _batch(self, req: Request) -> Response:
        started = time.perf_counter()
        try:
            calls = parse_batch(req)
        except ApiError as error:
            response = Response.json(error.code, error.body(), error.headers)
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

    def call(self, req: Request, in_batch: bool = False) -> Response:
        started = time.perf_counter()
        info = {"method_id": None, "user": None, "units": 0}
        rule = self.faults.pick(req.method, req.path)
        try:
            if rule is not None and rule.kind == "reset":
                response = Response(0, reset=True)
            elif rule is not None and rule.kind == "status":
                raise rule.error()
            else:
                response = self._dispatch(req, rule, info)
        except ApiError as error:
            response = Response.json(error.code, error.body(), error.headers)
        except OAuthError as error:
            response = Response.json(error.code, error.body())
        if rule is not None and rule.kind in ("truncate", "invalid_json"):
            response.body = corrupt(response.body, rule.kind)
        self.log.record(method=req.method, path=req.path, query=req.query, in_batch=in_batch,
                        status=response.status, fault=rule.kind if rule else None,
                        duration=time.perf_counter() - started, **info)
        return response

    def _match(self, req: Request) -> Route | None:
        for route in self.routes.get(req.method, ()):
            found = route.spec.regex.match(req.path)
            if found:
                req.path_params = {k: unquote(v) for k, v in found.groupdict().items()}
                return route
        return None

    def _dispatch(self, req: Request, rule, info: dict) -> Response:
        oauth_endpoint = OAUTH_PATHS.get((req.method, req.path))
        if oauth_endpoint:
            info["method_id"] = f"oauth.{oauth_endpoint}"
            with self.world.lock:
                return getattr(self.oauth, oauth_endpoint)(req)
        route = self._match(req)
        if route is None:
            raise ApiError(404, "notFound", f"Method not found: {req.method} {req.path}")
        method = route.spec
        info["method_id"] = method.id
        req.allowed = frozenset(method.parameters)
        with self.world.lock:
            grant = self.oauth.authenticate(req.headers.get("authorization"))
        if not grant.scopes.intersection(method.scopes):
            raise insufficient_permissions()
        email = grant.email
        user_id = req.path_params.get("userId")
        if user_id is not None and user_id != "me" and user_id.lower() != email:
            raise ApiError(403, "forbidden", f"Delegation denied for {email}")
        info["user"] = email
        with self.quota.slot(email):
            units = method.units_in(self.quota.config.gmail_table)
            self.quota.charge(email, method.service, units)
            info["units"] = units
            if rule is not None and rule.kind == "delay":
                time.sleep(rule.delay_seconds)
            elif rule is not None and rule.kind == "hold":
                rule.hold()
            with self.world.lock:
                result = route.handler(Call(req, email, grant.scopes))
                if result is None or not method.returns:
                    return Response(204)
                return Response.json(200, result)
