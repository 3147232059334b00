"""Google's error bodies, raised as exceptions so handlers stay linear.

Every Google API answers failures as ``{"error": {"code", "message", "errors": [{"domain",
"reason", "message"}], "status"}}``; clients branch on ``reason`` (``rateLimitExceeded``,
``fullSyncRequired`` ...), so the sandbox must use the same reasons and codes Google does.
"""

from __future__ import annotations

from ..core.errors import HttpError, OAuthError
from ..core.faults import FaultRule

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


class ApiError(HttpError):
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
        super().__init__(code, reason, message, headers=headers)
        self.domain = domain
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


def in_google_format(error: HttpError) -> HttpError:
    """A failure the core raised (bad query parameter, bad JSON) as the ``ApiError`` Google sends;
    Google's own errors (API and OAuth endpoint) unchanged."""
    if isinstance(error, (ApiError, OAuthError)):
        return error
    return ApiError(error.code, error.reason, error.message, headers=error.headers)


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


def fault_error(rule: FaultRule) -> ApiError:
    """What an injected ``status`` fault answers: the reasons Google sends for that status."""
    if rule.status == 429:
        return ApiError(429, "rateLimitExceeded", "Resource has been exhausted (e.g. check quota).",
                        domain="usageLimits", headers={"Retry-After": str(rule.retry_after)})
    if rule.status in (500, 503):
        return backend_error(rule.status)
    if rule.status == 403:
        return ApiError(403, "userRateLimitExceeded", "User Rate Limit Exceeded",
                        domain="usageLimits", headers={"Retry-After": str(rule.retry_after)})
    return ApiError(rule.status, "backendError", f"Injected fault {rule.status}.")
