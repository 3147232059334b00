"""QuickBooks Online's answers as the sync core's neutral failures.

The Accounting API answers a `Fault` — `{"Fault": {"Error": [{"Message", "Detail", "code"}],
"type"}}` — with a status: 401 AuthenticationFault 3200 (token expired or revoked: refresh once,
then reconnect), 403 AuthorizationFault 3100 (wrong company or scope: reconnect), 429
ThrottlingFault 3001 (wait `Retry-After`, never a failure), 5xx SystemFault (retry), 400
ValidationFault (a bad query, an object not found: 610, or a CDC window QBO no longer serves).
"""

from __future__ import annotations

from worker.sync import errors as core


class QuickBooksError(core.ProviderError):
    def __init__(self, code: str, message: str = "", *, status: int = 0, fault: str = "",
                 retry_after: float | None = None, intuit_tid: str | None = None) -> None:
        super().__init__(f"{fault + ' ' if fault else ''}{code}{': ' + message if message else ''}")
        self.code, self.message, self.status, self.fault = code, message, status, fault
        self.retry_after, self.intuit_tid = retry_after, intuit_tid

    def describe(self) -> str:
        tid = f" (intuit_tid {self.intuit_tid})" if self.intuit_tid else ""
        return f"QuickBooks answered {self.status} {self}{tid}"


class Transient(QuickBooksError, core.Transient):
    pass


class RateLimited(Transient):
    """429 ThrottlingFault: over the company's request rate or concurrency."""


class MalformedResponse(Transient):
    """A 2xx answer we cannot read: retried, then recorded."""


class Unauthorized(QuickBooksError, core.Reauth):
    """The grant is gone: the app was disconnected from the company or the refresh token refused."""

    def operator_message(self) -> str:
        return (f"reconnect the QuickBooks company (integrations connect quickbooks): {self.message or self.code}")


class AccessDenied(QuickBooksError, core.Reauth):
    """403 AuthorizationFault: the token does not cover this company or the accounting scope."""

    def operator_message(self) -> str:
        return f"reconnect the QuickBooks company with the accounting scope: {self.message or self.code}"


class CdcWindowExpired(QuickBooksError, core.CursorExpired):
    """CDC serves at most 30 days back (or QBO refused the window): read again with the query."""


class NotFound(QuickBooksError, core.NotFound):
    """610 Object Not Found: the entity was deleted."""


class BadRequest(QuickBooksError, core.BadInput):
    pass


def parse_retry_after(value) -> float | None:
    try:
        return max(0.0, float(value)) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def first_error(answer: dict | None) -> tuple[str, str, str]:
    """(fault type, code, message) of a Fault answer; empty strings for what it lacks."""
    fault = (answer or {}).get("Fault") if isinstance(answer, dict) else None
    if not isinstance(fault, dict):
        return "", "", ""
    errors = fault.get("Error") if isinstance(fault.get("Error"), list) else []
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    message = " — ".join(str(p) for p in (first.get("Message"), first.get("Detail")) if p)
    return str(fault.get("type") or ""), str(first.get("code") or ""), message


def error_from_answer(status: int, answer: dict | None, retry_after=None, intuit_tid: str | None = None,
                      *, cdc: bool = False) -> QuickBooksError:
    """The failure an answer stands for (`answer`: the decoded body, None when it was not JSON)."""
    fault, code, message = first_error(answer)
    details = {"status": status, "fault": fault, "retry_after": parse_retry_after(retry_after),
               "intuit_tid": intuit_tid}
    code = code or f"http_{status}"
    if status == 429 or code == "3001":
        return RateLimited(code, message or "throttled", **details)
    if status >= 500 or status == 408:
        return Transient(code, message, **details)
    if status == 401:
        return Unauthorized(code, message or "token refused", **details)
    if status == 403:
        return AccessDenied(code, message or "not authorized", **details)
    if code == "610":
        return NotFound(code, message, **details)
    if cdc and status == 400 and (code == "2030" or "30 days" in message):
        return CdcWindowExpired(code, message, **details)
    return BadRequest(code, message, **details)
