"""Google's error bodies, raised as exceptions so handlers stay linear.

Every Google API answers failures as ``{"error": {"code", "message", "errors": [{"domain",
"reason", "message"}], "status"}}``; clients branch on ``reason`` (``rateLimitExceeded``,
``fullSyncRequired`` ...), so the sandbox must use the same reasons and codes Google does.
"""

from __future__ import annotations

# HTTP code -> the canonical gRPC status name Google puts in ``error.status``.
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "FAILED_PRECONDITION",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class ApiError(Exception):
    """A Google API failure: HTTP ``code`` with one ``errors[]`` entry."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        domain: str = "global",
        headers: dict[str, str] | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.domain = domain
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self) -> dict:
        entry = {"domain": self.domain, "reason": self.reason, "message": self.message}
        entry.update(self.extra)
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "errors": [entry],
                "status": STATUS_NAMES.get(self.code, "UNKNOWN"),
            }
        }


class OAuthError(Exception):
    """An OAuth 2.0 endpoint failure: ``{"error": ..., "error_description": ...}`` (RFC 6749)."""

    def __init__(self, code: int, error: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.error = error
        self.description = description

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}


def bad_request(message: str, reason: str = "badRequest") -> ApiError:
    return ApiError(400, reason, message)


def invalid(message: str) -> ApiError:
    return ApiError(400, "invalid", message)


def not_found(message: str = "Requested entity was not found.") -> ApiError:
    return ApiError(404, "notFound", message)


def auth_error(message: str = "Request had invalid authentication credentials.") -> ApiError:
    return ApiError(
        401,
        "authError",
        message,
        extra={"location": "Authorization", "locationType": "header"},
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )


def insufficient_permissions() -> ApiError:
    return ApiError(
        403,
        "insufficientPermissions",
        "Request had insufficient authentication scopes.",
    )


def backend_error(code: int = 500) -> ApiError:
    if code == 503:
        return ApiError(503, "backendError", "The service is currently unavailable.")
    return ApiError(code, "backendError", "Internal error encountered.")
