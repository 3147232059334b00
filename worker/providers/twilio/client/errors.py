"""Twilio's error answers as the sync core's neutral failures.

Twilio answers `{"code": 20003, "message": "Authenticate", "more_info": "...", "status": 401}`;
the status says what the core should do: wait and retry (429 / 20429, never processed; 5xx),
reconnect (401 / 20003: the key was revoked or its secret is wrong; 403: the key may not do this),
tombstone (404 / 20404), give up on the request (other 4xx: 21211 invalid To, 20007 page size ...).
"""

from __future__ import annotations

import json

from worker.sync import errors as core


class TwilioError(core.ProviderError):
    def __init__(self, status: int, code: int | None, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{status}{f' (error {code})' if code else ''}: {message}")
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after

    def describe(self) -> str:
        return f"Twilio answered {self}"


class Transient(TwilioError, core.Transient):
    pass


class RateLimited(Transient):
    """429 (error 20429): the request was not processed; wait `Retry-After`, slower, never failed."""


class Unauthorized(TwilioError, core.Reauth):
    """401 (error 20003): the API key was revoked, or its secret is wrong."""

    def operator_message(self) -> str:
        return f"reconnect the Twilio account with a valid API key: {self.message}"


class AccessDenied(TwilioError, core.Reauth):
    """403: the key authenticates but may not do this (a restricted key): connect a key that may."""

    def operator_message(self) -> str:
        return f"reconnect the Twilio account with an API key allowed to do this: {self.message}"


class NotFound(TwilioError, core.NotFound):
    pass


class BadRequest(TwilioError, core.BadInput):
    pass


class MalformedResponse(Transient):
    """A 2xx answer we cannot read: retried, then recorded."""


def parse_retry_after(value) -> float | None:
    try:
        return max(0.0, float(value)) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def error_from_response(status: int, body: bytes | str | None, retry_after=None) -> TwilioError:
    code, message = None, ""
    try:
        data = json.loads(body or b"{}")
        if isinstance(data, dict):
            code = data.get("code") if isinstance(data.get("code"), int) else None
            message = str(data.get("message") or "")
    except ValueError:
        message = (body[:200].decode("utf-8", "replace") if isinstance(body, bytes) else str(body)[:200])
    wait = parse_retry_after(retry_after)
    if status == 429 or code == 20429:
        return RateLimited(status, code, message or "Too Many Requests", wait)
    if status >= 500 or status == 408:
        return Transient(status, code, message or "server error", wait)
    if status == 401:
        return Unauthorized(status, code, message or "Authenticate")
    if status == 403:
        return AccessDenied(status, code, message or "forbidden")
    if status == 404:
        return NotFound(status, code, message or "not found")
    return BadRequest(status, code, message or "bad request")
