"""QuickBooks Online's error formats, so clients see what Intuit answers.

The Accounting API answers a ``Fault`` with the HTTP status that goes with it:

    {"Fault": {"Error": [{"Message": "...", "Detail": "...", "code": "4000"}], "type": "ValidationFault"},
     "time": "2026-11-26T05:25:58.123-08:00"}

    400 ValidationFault   4000 query parse error, 610 object not found, 2500 bad CDC request
    401 AuthenticationFault 3200 missing, unknown, expired or revoked access token
    403 AuthorizationFault 3100 the token is for another company or lacks the accounting scope
    404 ValidationFault   (no such endpoint)
    429 ThrottlingFault   3001 over the realm's request rate or concurrency, with Retry-After
    5xx SystemFault       10000 (injected faults)

The OAuth endpoints answer RFC 6749's ``{"error": "invalid_grant"}`` (``core.errors.OAuthError``).
"""

from __future__ import annotations

from ..core.errors import HttpError, OAuthError
from ..core.faults import FaultRule
from .clock import Clock, stamp


class QuickBooksFault(HttpError):
    """An HTTP ``code`` with one QBO ``Error`` (``reason`` holds its code) of a Fault ``fault_type``."""

    clock: Clock | None = None  # the sandbox's, set by the app, for the answer's "time"

    def __init__(self, status: int, fault_type: str, code: str, message: str, detail: str = "",
                 *, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, code, message, headers=headers)
        self.fault_type = fault_type
        self.detail = detail

    def body(self) -> dict:
        clock = self.clock or Clock()
        error = {"Message": self.message, "Detail": self.detail, "code": self.reason}
        return {"Fault": {"Error": [error], "type": self.fault_type}, "time": stamp(clock.precise())}


def parse_error(detail: str) -> QuickBooksFault:
    return QuickBooksFault(400, "ValidationFault", "4000", "Error parsing query", f"QueryParserError: {detail}")


def invalid_query(detail: str) -> QuickBooksFault:
    return QuickBooksFault(400, "ValidationFault", "4001", "Invalid query", f"QueryValidationError: {detail}")


def bad_request(detail: str, code: str = "2500") -> QuickBooksFault:
    return QuickBooksFault(400, "ValidationFault", code, "Invalid Request", detail)


def object_not_found(entity: str, entity_id: str) -> QuickBooksFault:
    return QuickBooksFault(400, "ValidationFault", "610", "Object Not Found",
                           f"Object Not Found : Something you're trying to use has been made inactive. "
                           f"Check the fields with accounts, customers, items, vendors or employees. "
                           f"({entity} {entity_id})")


def unauthenticated(detail: str = "Token expired") -> QuickBooksFault:
    return QuickBooksFault(401, "AuthenticationFault", "3200",
                           "message=AuthenticationFailed; errorCode=003200; statusCode=401", detail,
                           headers={"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'})


def forbidden(detail: str) -> QuickBooksFault:
    return QuickBooksFault(403, "AuthorizationFault", "3100",
                           "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403", detail)


def not_found(path: str) -> QuickBooksFault:
    return QuickBooksFault(404, "ValidationFault", "404", "Resource not found", f"No endpoint {path}")


def throttled(retry_after: int, detail: str = "The request limit was reached.") -> QuickBooksFault:
    return QuickBooksFault(429, "ThrottlingFault", "3001",
                           "message=ThrottleExceeded; errorCode=003001; statusCode=429", detail,
                           headers={"Retry-After": str(retry_after)})


def fault_error(rule: FaultRule) -> QuickBooksFault:
    if rule.status == 429:
        return throttled(rule.retry_after)
    if rule.status == 401:
        return unauthenticated("Injected fault")
    headers = {"Retry-After": str(rule.retry_after)} if rule.status == 503 else {}
    return QuickBooksFault(rule.status, "SystemFault", "10000",
                           "An application error has occurred while processing your request",
                           f"System Failure Error: injected fault {rule.status}", headers=headers)


def in_quickbooks_format(error: HttpError) -> HttpError:
    """A core error (a malformed parameter) as a Fault; OAuth and QBO errors stay as they are."""
    if isinstance(error, (QuickBooksFault, OAuthError)):
        return error
    fault = "ValidationFault" if error.code < 500 else "SystemFault"
    return QuickBooksFault(error.code, fault, "2500" if error.code == 400 else str(error.code * 10),
                           error.message, error.reason, headers=error.headers)
