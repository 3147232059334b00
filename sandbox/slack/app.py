"""Slack's calls on the core pipeline.

    GET  /oauth/v2/authorize              consent at once -> redirect (no token, no quota)
    POST /api/oauth.v2.access             code or refresh token -> tokens (no token, no quota) -> (injected
        delay or hold of the answer: Slack has rotated, the caller has not heard yet)
    GET|POST /api/<method>: fault rule? -> arguments (query, form, multipart, JSON) -> token
        -> rate limit (method's tier, per workspace; chat.postMessage per channel) -> (injected delay
        or hold) -> handler (scopes, channel access) -> ``{"ok": true, ...}`` -> request log
        (provider "slack", method_id = the method, user = the workspace)

Every answer is HTTP 200 JSON except rate limits (429), unknown methods (404) and injected faults.
Successful calls carry Slack's ``X-OAuth-Scopes`` header (the token's scopes).
"""

from __future__ import annotations

import random
import re

from ..core.app import App, Exchange
from ..core.errors import HttpError
from ..core.faults import FaultRule, Faults
from ..core.requestlog import RequestLog
from ..core.wire import Request, Response
from . import auth_api, chat_api, conversations_api, users_api
from .args import Args
from .call import Call
from .errors import SlackError, fault_error, in_slack_format
from .oauth import SlackOAuth
from .quota import POST, SlackQuota
from .workspace import World

API = re.compile(r"^/api/(?P<method>[A-Za-z0-9_.]+)/?$")
AUTHORIZE = "/oauth/v2/authorize"
METHODS = {**auth_api.METHODS, **conversations_api.METHODS, **users_api.METHODS, **chat_api.METHODS}


class SlackApp(App):
    provider = "slack"

    def __init__(self, world: World, oauth: SlackOAuth, quota: SlackQuota, faults: Faults, log: RequestLog,
                 settings, admin=None) -> None:
        super().__init__(faults, log, admin)
        self.world, self.oauth, self.quota = world, oauth, quota
        self.settings = settings  # the sandbox: volatile_block_ids is read per call
        self.rng = random.Random()  # volatile block ids: new on every read, on purpose unseeded

    # -- core seams ----------------------------------------------------------------------------
    def fault_error(self, rule: FaultRule) -> SlackError:
        return fault_error(rule)

    def provider_error(self, error: HttpError) -> HttpError:
        return in_slack_format(error)

    def clock(self) -> float:
        """Answers are dated by the clock new ts are made of (a test may skew it)."""
        return self.world.now_micros() / 1_000_000

    def method_of(self, req: Request) -> str | None:
        """The method a path names, logged even for calls a fault answers before dispatch."""
        if req.path.rstrip("/") == AUTHORIZE:
            return "oauth.v2.authorize"
        found = API.match(req.path)
        return found["method"] if found else None

    # -- one call ------------------------------------------------------------------------------
    def dispatch(self, req: Request, exchange: Exchange) -> Response:
        if exchange.method_id == "oauth.v2.authorize":
            with self.world.lock:
                return self.oauth.authorize(req)
        method = exchange.method_id
        if method is None:
            raise SlackError("unknown_method", 404)
        args = Args.of(req)
        if method == "oauth.v2.access":
            with self.world.lock:
                answer = self.oauth.access(req, args)
            exchange.user = answer["team"]["id"]
            exchange.pause()  # after the exchange: a delayed answer whose rotation Slack already did
            return Response.json(200, answer)
        handler = METHODS.get(method)
        if handler is None:
            raise SlackError("unknown_method", 404)
        with self.world.lock:
            caller = self.oauth.authenticate(args.token(req))
        exchange.user = caller.team_id
        if method == POST:
            self.quota.charge_post(caller.team_id, args.text("channel") or "")
        else:
            self.quota.charge(caller.team_id, method, 1)
        exchange.units = 1
        exchange.pause()
        with self.world.lock:
            call = Call(method, args, caller, self.world.team(caller.team_id), self.world, self.quota, self.oauth,
                        self.settings.volatile_block_ids, self.rng)
            result = handler(call)
        return Response.json(200, {"ok": True, **result}, {"X-OAuth-Scopes": ",".join(sorted(caller.scopes))})
