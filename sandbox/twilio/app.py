"""Twilio's calls on the core pipeline.

    /2010-04-01/Accounts/{AccountSid}[/...].json: fault rule? -> route -> HTTP Basic for that account
        -> account concurrency slot -> request rate -> (injected delay or hold) -> due status steps
        -> handler -> request log (provider "twilio", user = the Account SID)

Anything else answers 404 20404; a known path with another method 405 20004.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.app import App, Exchange
from ..core.errors import HttpError
from ..core.faults import FaultRule, Faults
from ..core.requestlog import RequestLog
from ..core.wire import Request, Response
from . import calls_api, messages_api
from .auth import authenticate
from .errors import fault_error, in_twilio_format, method_not_allowed, not_found
from .quota import SERVICE, TwilioQuota
from .state import Account, World

ACCOUNT = r"^/2010-04-01/Accounts/(?P<account>AC[0-9A-Za-z]+)"
SID = r"(?P<sid>[A-Z]{2}[0-9A-Za-z]+)"
ROUTES = [
    # (path regex, {method: (method id, handler)})
    (rf"{ACCOUNT}\.json$", {"GET": ("accounts.fetch", lambda call: call.account.resource())}),
    (rf"{ACCOUNT}/Messages\.json$", {"GET": ("messages.list", messages_api.list_messages),
                                      "POST": ("messages.create", messages_api.create_message)}),
    (rf"{ACCOUNT}/Messages/{SID}\.json$", {"GET": ("messages.fetch", messages_api.fetch_message),
                                            "DELETE": ("messages.delete", messages_api.delete_message)}),
    (rf"{ACCOUNT}/Calls\.json$", {"GET": ("calls.list", calls_api.list_calls)}),
    (rf"{ACCOUNT}/Calls/{SID}\.json$", {"GET": ("calls.fetch", calls_api.fetch_call),
                                         "DELETE": ("calls.delete", calls_api.delete_call)}),
]


@dataclass
class Call:
    """What a handler gets: the request, the authenticated account, the world, the path's SID."""

    req: Request
    account: Account
    world: World
    sid: str | None = None


class TwilioApp(App):
    provider = "twilio"

    def __init__(self, world: World, quota: TwilioQuota, faults: Faults, log: RequestLog, admin=None) -> None:
        super().__init__(faults, log, admin)
        self.world, self.quota = world, quota
        self.routes = [(re.compile(pattern), methods) for pattern, methods in ROUTES]

    # -- core seams ----------------------------------------------------------------------------
    def fault_error(self, rule: FaultRule) -> HttpError:
        return fault_error(rule)

    def provider_error(self, error: HttpError) -> HttpError:
        return in_twilio_format(error)

    def clock(self) -> float:
        """Answers are dated by the clock that dates messages (tests advance it)."""
        return self.world.clock.now().timestamp()

    # -- one call ------------------------------------------------------------------------------
    def _route(self, path: str) -> tuple[re.Match, dict]:
        for pattern, methods in self.routes:
            found = pattern.match(path)
            if found:
                return found, methods
        raise not_found(path)

    def dispatch(self, req: Request, exchange: Exchange) -> Response:
        found, methods = self._route(req.path)
        if req.method not in methods:
            raise method_not_allowed(req.method, req.path)
        method_id, handler = methods[req.method]
        exchange.method_id = method_id
        account_sid = found["account"]
        authenticate(self.world, account_sid, req.headers.get("authorization"))
        exchange.user = account_sid
        with self.quota.slot(account_sid):
            self.quota.charge(account_sid, SERVICE, 1)
            exchange.units = 1
            exchange.pause()
            with self.world.lock:
                account = self.world.account(account_sid)
                self.world.settle(account)
                result = handler(Call(req, account, self.world, found.groupdict().get("sid")))
        status, body = result if isinstance(result, tuple) else (200, result)
        if body is None:
            return Response(status, b"", [])
        return Response.json(status, body)
