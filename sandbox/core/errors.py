"""Failures the pipeline answers as HTTP responses, raised as exceptions so handlers stay linear.

``HttpError`` is what the core raises itself (a malformed query parameter or JSON body) and what
every provider's error class subclasses: the provider's ``App.provider_error`` turns a core error
into its own wire format (Google's ``{"error": {"errors": [...]}}``, Microsoft Graph's
``{"error": {"code", "message"}}`` ...), so clients see one provider's format only.
"""

from __future__ import annotations


class HttpError(Exception):
    """An HTTP ``code`` answered with a machine ``reason`` and a human ``message``."""

    def __init__(self, code: int, reason: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.headers = dict(headers or {})

    def body(self) -> dict:
        """The neutral format; providers override it with their own."""
        return {"error": {"code": self.code, "reason": self.reason, "message": self.message}}


def bad_request(message: str, reason: str = "badRequest") -> HttpError:
    return HttpError(400, reason, message)


class OAuthError(HttpError):
    """An OAuth 2.0 endpoint failure: ``{"error": ..., "error_description": ...}`` (RFC 6749)."""

    def __init__(self, code: int, error: str, description: str) -> None:
        super().__init__(code, error, description)
        self.error = error
        self.description = description

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}
