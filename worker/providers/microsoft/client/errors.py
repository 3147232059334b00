"""Graph's error answers as the sync core's neutral failures.

Graph answers `{"error": {"code", "message", "innerError": {...}}}`; the status and the code say
what the core should do: retry (429, 5xx), resync (410 / SyncStateNotFound), reconnect (401 after
a fresh token, 403 ErrorAccessDenied), tombstone (404), give up on the request (other 4xx).
"""

from __future__ import annotations

import json

from worker.sync import errors as core


class GraphError(core.ProviderError):
    def __init__(self, status: int, code: str | None, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{status} {code or ''}: {message}".replace(" :", ":"))
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after

    def describe(self) -> str:
        return f"Microsoft Graph answered {self}"


class Transient(GraphError, core.Transient):
    pass


class RateLimited(Transient):
    """429 (or 503 with Retry-After): slower, never failed."""


class Unauthorized(GraphError, core.Reauth):
    """401 with a fresh token, or the grant refused at the token endpoint."""

    def operator_message(self) -> str:
        return f"reconnect the Microsoft account: {self.message}"


class AccessDenied(GraphError, core.Reauth):
    """403: the grant lacks a scope this call needs (reconnecting with the capability's scopes fixes it)."""

    def operator_message(self) -> str:
        return f"reconnect the Microsoft account with the capability's scopes: {self.message}"


class CursorExpired(GraphError, core.CursorExpired):
    pass


class NotFound(GraphError, core.NotFound):
    pass


class Conflict(GraphError, core.BadInput):
    """412: the object changed since the etag we hold."""


class BadRequest(GraphError, core.BadInput):
    pass


class MalformedResponse(Transient):
    """A 2xx answer we cannot read: retried, then recorded."""


EXPIRED_CODES = {"syncstatenotfound", "syncstateinvalid", "resyncrequired"}


def parse_retry_after(value) -> float | None:
    try:
        return max(0.0, float(value)) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def error_from_response(status: int, body: bytes | str | dict | None, retry_after=None) -> GraphError:
    code, message = None, ""
    try:
        data = body if isinstance(body, dict) else json.loads(body or b"{}")
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            code, message = error.get("code"), str(error.get("message") or "")
        elif isinstance(error, str):
            code, message = error, str(data.get("error_description") or "")
    except (ValueError, AttributeError):
        message = (body[:200].decode("utf-8", "replace") if isinstance(body, bytes) else str(body)[:200])
    wait = parse_retry_after(retry_after)
    if status == 410 or (code or "").lower() in EXPIRED_CODES:
        return CursorExpired(status, code, message or "delta token expired")
    if status == 429 or (status == 503 and wait is not None):
        return RateLimited(status, code, message or "throttled", wait)
    if status >= 500 or status == 408:
        return Transient(status, code, message or "server error", wait)
    if status == 401:
        return Unauthorized(status, code, message or "unauthorized")
    if status == 403:
        return AccessDenied(status, code, message or "access denied")
    if status == 404:
        return NotFound(status, code, message or "not found")
    if status == 412:
        return Conflict(status, code, message or "the object changed")
    return BadRequest(status, code, message or "bad request")
