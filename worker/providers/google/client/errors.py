"""Google's error bodies mapped to exceptions the sync logic can act on.

`{"error": {"code", "message", "errors": [{"domain", "reason"}], "status"}}` → one class per remedy:
retry later (RateLimited, Transient), full resync (CursorExpired), reconnect (Reauth), give up on
this item (NotFound), stop and tell (Conflict, Forbidden).
"""

from __future__ import annotations

import json

from worker.sync import errors as neutral

RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "backendError_rateLimit"}


class GoogleError(neutral.ProviderError):
    def __init__(self, status: int, reason: str | None, message: str, retry_after: float | None = None):
        super().__init__(f"Google {status} {reason or ''}: {message}".replace("  ", " "))
        self.status = status
        self.reason = reason
        self.message = message
        self.retry_after = retry_after

    def describe(self) -> str:
        text = str(self) or type(self).__name__
        if self.reason == "insufficientPermissions":
            return f"{text} — reconnect with this capability to grant its scope"
        return text


class Transient(GoogleError, neutral.Transient):
    """5xx, resets, timeouts: retry with backoff."""


class RateLimited(Transient):
    """429 / 403 rate-limit reasons: slower, never failed."""


class Unauthorized(GoogleError):
    """401: the access token is missing or expired — refresh and retry once."""


class Reauth(GoogleError, neutral.Reauth):
    """The refresh token is revoked or expired (`invalid_grant`): a person must reconnect."""


class Forbidden(GoogleError):
    """403 other than rate limits, e.g. insufficientPermissions."""


class NotFound(GoogleError, neutral.NotFound):
    pass


class CursorExpired(GoogleError, neutral.CursorExpired):
    """Gmail history 404 or Calendar 410 fullSyncRequired: the remedy is a full sync."""


class Conflict(GoogleError):
    """409 duplicate or 412 conditionNotMet."""


class BadRequest(GoogleError, neutral.BadInput):
    pass


class MalformedResponse(GoogleError):
    """The body is not the JSON Google's format promises; the cursor must not move."""


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def error_from_response(status: int, body: bytes, retry_after: str | None = None) -> GoogleError:
    reason, message = None, ""
    try:
        payload = json.loads(body or b"{}")
        error = payload.get("error", {}) if isinstance(payload, dict) else {}
        if isinstance(error, dict):
            message = error.get("message", "")
            errors = error.get("errors") or []
            if errors and isinstance(errors[0], dict):
                reason = errors[0].get("reason")
        elif isinstance(error, str):  # OAuth endpoints: {"error": "invalid_grant"}
            reason, message = error, payload.get("error_description", "")
    except (ValueError, AttributeError):
        message = body[:200].decode("utf-8", "replace") if body else ""
    wait = parse_retry_after(retry_after)
    if status == 429 or (status == 403 and reason in RATE_LIMIT_REASONS):
        return RateLimited(status, reason, message, wait)
    if status >= 500:
        return Transient(status, reason, message, wait)
    if status == 401:
        return Unauthorized(status, reason, message)
    if status == 403:
        return Forbidden(status, reason, message)
    if status == 404:
        return NotFound(status, reason, message)
    if status == 410:
        return CursorExpired(status, reason, message)
    if status in (409, 412):
        return Conflict(status, reason, message)
    if status == 400 and reason == "invalid_grant":
        return Reauth(status, reason, message)
    return BadRequest(status, reason, message)
