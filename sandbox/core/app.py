"""The request pipeline every provider call goes through; a provider subclasses ``App``.

    admin (/_sandbox/...)?  -> the admin API: never faulted, metered or logged
    otherwise ``call``:      fault rule? -> reset / injected status | provider.dispatch(req, exchange)
                             -> (injected body corruption, foreign links) -> request log

Seams for a provider (``sandbox/<provider>/app.py``):

- ``dispatch(req, exchange)``: route (``Router``), authenticate, check scopes, take a concurrency
  slot and charge quota (``Quota``), call ``exchange.pause()`` where injected delays belong (after
  admission, before the work), run the handler; fill ``exchange.method_id``/``user``/``units`` as
  they become known, for the request log;
- ``fault_error(rule)``: the error an injected ``status`` fault answers, in the provider's format;
- ``provider_error(error)``: a core ``HttpError`` (bad parameter, bad JSON) in the provider's format;
- ``method_of(req)`` (optional): the method id a request names by its path alone (Slack's
  ``/api/<method>``), so the log names it even when a fault answers before ``dispatch``;
- ``clock()`` (optional): the provider's current time (epoch seconds) when it keeps its own (a test
  advanced or skewed it): every answer's ``Date`` header then tells that time, as a provider's
  server would, instead of the host's;
- ``handle(req)``: override only for endpoints outside the one-call pipeline (Google's batch),
  calling ``call(inner, in_batch=True)`` per inner request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import formatdate

from .errors import HttpError
from .faults import FaultRule, Faults, corrupt, move_links, pause
from .requestlog import RequestLog
from .wire import Request, Response

ADMIN_PREFIX = "/_sandbox/"


@dataclass
class Exchange:
    """One call as the pipeline sees it: the fault rule picked for it and what the log records."""

    rule: FaultRule | None = None
    method_id: str | None = None
    user: str | None = None
    units: int = 0

    def pause(self) -> None:
        """Apply an injected ``delay`` or ``hold`` now."""
        pause(self.rule)


class App:
    provider: str | None = None  # named in every request-log entry ("microsoft" ...)

    def __init__(self, faults: Faults, log: RequestLog, admin=None) -> None:
        self.faults, self.log, self.admin = faults, log, admin

    # -- provider seams ------------------------------------------------------------------------
    def dispatch(self, req: Request, exchange: Exchange) -> Response:
        raise NotImplementedError

    def fault_error(self, rule: FaultRule) -> HttpError:
        return HttpError(rule.status, "injectedFault", f"Injected fault {rule.status}.")

    def provider_error(self, error: HttpError) -> HttpError:
        return error

    def method_of(self, req: Request) -> str | None:
        return None

    def clock(self) -> float | None:
        return None

    # -- pipeline ------------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        if req.path.startswith(ADMIN_PREFIX) and self.admin is not None:
            return self.admin.handle(req)
        return self.call(req)

    def error_response(self, error: HttpError) -> Response:
        error = self.provider_error(error)
        return Response.json(error.code, error.body(), error.headers)

    def call(self, req: Request, in_batch: bool = False) -> Response:
        started = time.perf_counter()
        rule = self.faults.pick(req.method, req.path)
        exchange = Exchange(rule, method_id=self.method_of(req))
        try:
            if rule is not None and rule.kind == "reset":
                response = Response(0, reset=True)
            elif rule is not None and rule.kind == "status":
                raise self.fault_error(rule)
            else:
                response = self.dispatch(req, exchange)
        except HttpError as error:
            response = self.error_response(error)
        if rule is not None and rule.kind == "hold_answer":
            rule.hold()  # carried out: only the answer waits
        if rule is not None and rule.kind in ("truncate", "invalid_json"):
            response.body = corrupt(response.body, rule.kind)
        elif rule is not None and rule.kind == "foreign_link":
            response.body = move_links(response.body, rule.link_base)
        now = self.clock()
        if now is not None and response.header("Date") is None:
            response.headers.append(("Date", formatdate(now, usegmt=True)))
        self.log.record(provider=self.provider, method=req.method, path=req.path, query=req.query, in_batch=in_batch,
                        status=response.status, fault=rule.kind if rule else None,
                        duration=time.perf_counter() - started, method_id=exchange.method_id,
                        user=exchange.user, units=exchange.units)
        return response
