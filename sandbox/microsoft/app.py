"""Microsoft's calls on the core pipeline.

    identity (/{tenant}/v2.0/.well-known/openid-configuration, /{tenant}/oauth2/v2.0/authorize|token)
        -> no token, no quota
    Graph (/v1.0/...): fault rule? -> route -> Bearer token -> scope -> mailbox concurrency slot
        -> request budget -> (injected delay or hold) -> handler -> request log (provider "microsoft")
    $batch: each part through the Graph pipeline on its own

``/v1.0/users/{id or email}/...`` is served as ``/v1.0/me/...`` when it names the token's account.
"""

from __future__ import annotations

import dataclasses
import re
import time

from ..core.app import App, Exchange
from ..core.errors import HttpError
from ..core.faults import FaultRule, Faults
from ..core.requestlog import RequestLog
from ..core.routing import Router
from ..core.wire import Request, Response
from . import batch
from .errors import GraphError, access_denied, fault_error, in_graph_format
from .identity import Identity, user_oid
from .odata import Call
from .quota import MicrosoftQuota

IDENTITY = re.compile(r"^/(?P<tenant>[^/]+)/(?P<endpoint>v2\.0/\.well-known/openid-configuration|"
                      r"oauth2/v2\.0/authorize|oauth2/v2\.0/token)$")
USERS = re.compile(r"^/users/(?P<user>[^/]+)(?P<rest>/.*)?$")
BATCH_PATH = "/v1.0/$batch"
GRAPH_SERVICE = "graph"


class MicrosoftApp(App):
    provider = "microsoft"

    def __init__(self, world, identity: Identity, quota: MicrosoftQuota, faults: Faults, log: RequestLog,
                 apis, admin=None) -> None:
        super().__init__(faults, log, admin)
        self.world, self.identity, self.quota = world, identity, quota
        self.router = Router()
        for api in apis:
            for http_method, template, method_id, scopes, handler in api.routes():
                self.router.add(http_method, template, handler, (method_id, scopes))

    # -- core seams ----------------------------------------------------------------------------
    def fault_error(self, rule: FaultRule) -> GraphError:
        return fault_error(rule)

    def provider_error(self, error: HttpError) -> HttpError:
        return in_graph_format(error)

    def handle(self, req: Request) -> Response:
        if req.method == "POST" and req.path == BATCH_PATH:
            return self._batch(req)
        return super().handle(req)

    # -- $batch --------------------------------------------------------------------------------
    def _batch(self, req: Request) -> Response:
        started = time.perf_counter()
        try:
            items = batch.parse(req)
        except HttpError as error:
            response = self.error_response(error)
        else:
            statuses: dict[str, int] = {}
            parts = []
            for item in items:
                item_id = str(item["id"])
                depends = item.get("dependsOn") or []
                if any(statuses.get(str(d), 424) >= 400 for d in depends):
                    parts.append(batch.failed_dependency(item_id))
                    statuses[item_id] = 424
                    continue
                inner = self.call(batch.inner_request(req, item), in_batch=True)
                if inner.reset:  # a network failure inside Graph reads as a gateway error for the part
                    inner = self.error_response(GraphError(502, "BadGateway", "The request was reset."))
                statuses[item_id] = inner.status
                parts.append(batch.part(item_id, inner))
            response = Response.json(200, {"responses": parts})
        self.log.record(provider=self.provider, method=req.method, path=req.path, query=req.query,
                        method_id="batch", user=None, units=0, status=response.status, in_batch=False,
                        fault=None, duration=time.perf_counter() - started)
        return response

    # -- one call ------------------------------------------------------------------------------
    def dispatch(self, req: Request, exchange: Exchange) -> Response:
        found = IDENTITY.match(req.path)
        if found:
            return self._identity(req, exchange, found["tenant"], found["endpoint"])
        if not req.path.startswith("/v1.0/"):
            raise GraphError(404, "NotFound", f"No such endpoint: {req.method} {req.path}")
        with self.world.lock:
            grant = self.identity.authenticate(req.headers.get("authorization"))
        email = grant.email
        inner = dataclasses.replace(req, path=self._as_me(req.path[len("/v1.0"):], email))
        route = self.router.match(inner)
        if route is None:
            raise GraphError(400, "BadRequest", f"Resource not found for the segment '{inner.path}'.")
        method_id, needed = route.spec
        exchange.method_id = method_id
        if needed and not needed & grant.scopes:
            raise access_denied()
        exchange.user = email
        with self.quota.slot(email):
            self.quota.charge(email, GRAPH_SERVICE, 1)
            exchange.units = 1
            exchange.pause()
            with self.world.lock:
                call = Call(inner, email, grant.scopes, self.identity.base_url(), self.world)
                result = route.handler(call)
        response = result if isinstance(result, Response) else Response.json(call.status, result)
        if call.applied:
            response.headers.append(("Preference-Applied", ", ".join(call.applied)))
        return response

    def _as_me(self, path: str, email: str) -> str:
        found = USERS.match(path)
        if not found:
            return path
        user = found["user"].lower()
        if user not in (email, user_oid(email)):
            raise access_denied()
        return "/me" + (found["rest"] or "")

    def _identity(self, req: Request, exchange: Exchange, tenant: str, endpoint: str) -> Response:
        with self.world.lock:
            if endpoint.endswith("openid-configuration") and req.method == "GET":
                exchange.method_id = "identity.openid_configuration"
                return Response.json(200, self.identity.openid_configuration(tenant))
            if endpoint.endswith("authorize") and req.method == "GET":
                exchange.method_id = "identity.authorize"
                return self.identity.authorize(req, tenant)
            if endpoint.endswith("token") and req.method == "POST":
                exchange.method_id = "identity.token"
                return self.identity.token(req, tenant)
        raise GraphError(405, "MethodNotAllowed", f"{req.method} is not allowed on {req.path}")
