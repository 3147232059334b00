"""Slack's answers as the sync core's neutral failures.

Slack answers most failures with HTTP 200 and `{"ok": false, "error": "<code>"}`; only rate limits
(429 + `Retry-After`) and server faults use the status. The code says what the core should do:
retry (ratelimited, 5xx, internal_error), reconnect (invalid_auth, token_revoked, missing_scope),
tombstone or skip (channel_not_found), stop one channel (not_in_channel), give up on the request.
"""

from __future__ import annotations

from worker.sync import errors as core


class SlackError(core.ProviderError):
    def __init__(self, code: str, message: str = "", *, method: str = "", retry_after: float | None = None,
                 status: int = 200) -> None:
        super().__init__(f"{method + ': ' if method else ''}{code}{' (' + message + ')' if message else ''}")
        self.code, self.message, self.method, self.retry_after, self.status = code, message, method, retry_after, status

    def describe(self) -> str:
        return f"Slack answered {self}"


class Transient(SlackError, core.Transient):
    pass


class RateLimited(Transient):
    """429 / `ratelimited`: slower, never failed."""


class Unauthorized(SlackError, core.Reauth):
    """The bot token is revoked, expired beyond refresh, or the app was uninstalled."""

    def operator_message(self) -> str:
        return f"reinstall the Slack app in the workspace (integrations connect slack): {self.code}"


class AccessDenied(SlackError, core.Reauth):
    """`missing_scope`: the install lacks a scope this call needs."""

    def operator_message(self) -> str:
        return f"reinstall the Slack app with the capability's scopes (missing {self.message or 'a scope'})"


class NotInChannel(SlackError):
    """The bot is not a member of the channel (removed, or never invited): that channel's failure."""

    def describe(self) -> str:
        return f"the Slack app is not in this channel ({self.code}): invite it with /invite, or drop the channel"


class CursorExpired(SlackError, core.CursorExpired):
    pass


class NotFound(SlackError, core.NotFound):
    pass


class BadRequest(SlackError, core.BadInput):
    pass


class MalformedResponse(Transient):
    """A 2xx answer we cannot read: retried, then recorded."""


REAUTH = {"invalid_auth", "not_authed", "token_revoked", "account_inactive", "token_expired",
          "team_access_not_granted", "no_permission", "ekm_access_denied", "app_uninstalled"}
TRANSIENT = {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "team_added_to_org"}
NOT_FOUND = {"channel_not_found", "thread_not_found", "message_not_found", "user_not_found"}
NOT_IN_CHANNEL = {"not_in_channel", "is_archived", "channel_is_archived"}


def parse_retry_after(value) -> float | None:
    try:
        return max(0.0, float(value)) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def error_from_answer(method: str, status: int, answer: dict | None, retry_after=None) -> SlackError:
    """The failure an answer stands for (`answer` is the decoded body, None when it was not JSON)."""
    code = str((answer or {}).get("error") or "")
    wait = parse_retry_after(retry_after)
    if status == 429 or code == "ratelimited":
        return RateLimited(code or "ratelimited", method=method, retry_after=wait, status=status)
    if status >= 500 or status == 408 or code in TRANSIENT:
        return Transient(code or f"http_{status}", method=method, retry_after=wait, status=status)
    if code == "missing_scope":
        needed = (answer or {}).get("needed") or ""
        return AccessDenied(code, str(needed), method=method, status=status)
    if code in REAUTH or status == 401:
        return Unauthorized(code or "invalid_auth", method=method, status=status)
    if code in NOT_IN_CHANNEL:
        return NotInChannel(code, method=method, status=status)
    if code == "invalid_cursor":
        return CursorExpired(code, method=method, status=status)
    if code in NOT_FOUND or status == 404:
        return NotFound(code or "not_found", method=method, status=status)
    if status >= 400 and not code:
        return BadRequest(f"http_{status}", method=method, status=status)
    return BadRequest(code or "unknown_error", method=method, status=status)
