"""Slack's error format: almost every failure is HTTP 200 with ``{"ok": false, "error": "<code>"}``.

Clients branch on ``error`` (slack_sdk raises ``SlackApiError`` carrying the body), so the sandbox
answers exactly these codes: ``not_authed``, ``invalid_auth``, ``token_revoked``, ``token_expired``,
``missing_scope`` (with ``needed`` and ``provided``), ``channel_not_found``, ``not_in_channel``,
``invalid_cursor``, ``ratelimited`` (HTTP 429 with ``Retry-After``), ``unknown_method`` (HTTP 404) ...
Core errors (a malformed parameter or JSON body) and injected faults are rendered the same way.
"""

from __future__ import annotations

from ..core.errors import HttpError
from ..core.faults import FaultRule


class SlackError(HttpError):
    """``{"ok": false, "error": code, **extra}`` with HTTP ``status`` (200 unless Slack says otherwise)."""

    def __init__(self, error: str, status: int = 200, headers: dict[str, str] | None = None, **extra) -> None:
        super().__init__(status, error, error, headers=headers)
        self.error = error
        self.extra = extra

    def body(self) -> dict:
        return {"ok": False, "error": self.error, **self.extra}


def missing_scope(needed: str, provided) -> SlackError:
    return SlackError("missing_scope", needed=needed, provided=",".join(sorted(provided)))


def ratelimited(retry_after: int) -> SlackError:
    return SlackError("ratelimited", 429, headers={"Retry-After": str(retry_after)})


def fault_error(rule: FaultRule) -> SlackError:
    """An injected ``status`` fault: 429 as Slack's rate limit, 5xx as its server errors."""
    if rule.status == 429:
        return ratelimited(rule.retry_after)
    codes = {500: "internal_error", 502: "fatal_error", 503: "service_unavailable", 504: "request_timeout",
             401: "invalid_auth", 403: "access_denied", 404: "unknown_method"}
    headers = {"Retry-After": str(rule.retry_after)} if rule.status == 503 else {}
    return SlackError(codes.get(rule.status, "fatal_error"), rule.status, headers=headers)


def in_slack_format(error: HttpError) -> HttpError:
    """A core error (bad JSON, bad number) as Slack words it; Slack's own errors unchanged."""
    if isinstance(error, SlackError):
        return error
    if error.reason == "parseError":
        return SlackError("invalid_json")
    if error.code >= 500:
        return SlackError("internal_error", error.code)
    return SlackError("invalid_arguments", headers=error.headers)
