"""Microsoft's two error formats: the identity platform's OAuth errors and Graph's ``{"error": ...}``.

Clients branch on these fields (msal on ``error``, Graph clients on ``error.code`` and the status),
so the sandbox answers exactly these shapes:

- identity: ``{"error", "error_description": "AADSTSnnnnn: ...", "error_codes", "timestamp",
  "trace_id", "correlation_id"}``;
- Graph: ``{"error": {"code", "message", "innerError": {"request-id", "date", "client-request-id"}}}``.
"""

from __future__ import annotations

import datetime
import uuid

from ..core.errors import HttpError, OAuthError
from ..core.faults import FaultRule


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


class IdentityError(OAuthError):
    """A token or authorize failure with its AADSTS number."""

    def __init__(self, code: int, error: str, aadsts: int, description: str) -> None:
        super().__init__(code, error, f"AADSTS{aadsts}: {description}")
        self.aadsts = aadsts

    def body(self) -> dict:
        return {
            "error": self.error,
            "error_description": self.description,
            "error_codes": [self.aadsts],
            "timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ"),
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
        }


class GraphError(HttpError):
    """A Graph API failure; ``client_request_id`` echoes the caller's ``client-request-id``."""

    client_request_id: str | None = None

    def body(self) -> dict:
        inner = {"request-id": str(uuid.uuid4()), "date": _now()}
        inner["client-request-id"] = self.client_request_id or inner["request-id"]
        return {"error": {"code": self.reason, "message": self.message, "innerError": inner}}


def access_denied(message: str = "Access is denied. Check credentials and try again.") -> GraphError:
    return GraphError(403, "ErrorAccessDenied", message)


def unauthenticated(message: str) -> GraphError:
    return GraphError(401, "InvalidAuthenticationToken", message,
                      headers={"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'})


def not_found(what: str = "The specified object was not found in the store.") -> GraphError:
    return GraphError(404, "ErrorItemNotFound", what)


def bad_request(message: str, code: str = "ErrorInvalidRequest") -> GraphError:
    return GraphError(400, code, message)


def sync_state_not_found() -> GraphError:
    return GraphError(410, "SyncStateNotFound",
                      "The sync state was not found or has expired. Do a full synchronization again.")


def throttled(message: str, retry_after: int) -> GraphError:
    return GraphError(429, "ApplicationThrottled", message, headers={"Retry-After": str(retry_after)})


def fault_error(rule: FaultRule) -> GraphError:
    codes = {429: "ApplicationThrottled", 500: "InternalServerError", 502: "BadGateway",
             503: "ServiceUnavailable", 504: "GatewayTimeout", 401: "InvalidAuthenticationToken",
             403: "ErrorAccessDenied", 404: "ErrorItemNotFound", 410: "SyncStateNotFound"}
    headers = {"Retry-After": str(rule.retry_after)} if rule.status in (429, 503) else {}
    return GraphError(rule.status, codes.get(rule.status, "UnknownError"),
                      f"Injected fault {rule.status}.", headers=headers)


def in_graph_format(error: HttpError) -> HttpError:
    """A core or identity error stays as is when already Microsoft's; otherwise Graph's shape."""
    if isinstance(error, (GraphError, IdentityError)):
        return error
    code = "BadRequest" if error.code == 400 else error.reason
    return GraphError(error.code, code, error.message, headers=error.headers)
