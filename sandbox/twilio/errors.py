"""Twilio's one error format, so clients see exactly what api.twilio.com answers:

    {"code": 20404, "message": "...", "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}

twilio-python turns it into ``TwilioRestException(status, uri, msg, code)`` on fetch, create and
delete; on a list page it raises the base ``TwilioException("Unable to fetch page", response)``
with this body in ``response.text``. Clients branch on ``code``, never on the message.
"""

from __future__ import annotations

from ..core.errors import HttpError
from ..core.faults import FaultRule

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


class TwilioError(HttpError):
    """An HTTP ``status`` answered with Twilio's numeric ``code`` (``reason`` holds it as text)."""

    def __init__(self, status: int, code: int, message: str, *, detail: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status, str(code), message, headers=headers)
        self.twilio_code = code
        self.detail = detail

    def body(self) -> dict:
        body = {"code": self.twilio_code, "message": self.message,
                "more_info": MORE_INFO.format(code=self.twilio_code), "status": self.code}
        if self.detail:
            body["detail"] = self.detail
        return body


def unauthenticated() -> TwilioError:
    return TwilioError(401, 20003, "Authenticate", detail="Your AccountSid or AuthToken was incorrect.",
                       headers={"WWW-Authenticate": 'Basic realm="Twilio API"'})


def not_found(path: str) -> TwilioError:
    return TwilioError(404, 20404, f"The requested resource {path} was not found")


def invalid(code: int, message: str) -> TwilioError:
    """A 400 validation error (21211 invalid To, 21602 missing Body ...)."""
    return TwilioError(400, code, message)


def too_many_requests(retry_after: int) -> TwilioError:
    return TwilioError(429, 20429, "Too Many Requests", headers={"Retry-After": str(retry_after)})


def method_not_allowed(method: str, path: str) -> TwilioError:
    return TwilioError(405, 20004, f"Method {method} not allowed on {path}")


FAULT_CODES = {500: (20500, "Internal Server Error"), 502: (20502, "Bad Gateway"),
               503: (20503, "Service Unavailable"), 504: (20504, "Gateway Timeout"),
               429: (20429, "Too Many Requests"), 401: (20003, "Authenticate"), 404: (20404, "Not Found")}


def fault_error(rule: FaultRule) -> TwilioError:
    code, message = FAULT_CODES.get(rule.status, (rule.status * 100, f"Injected fault {rule.status}"))
    headers = {"Retry-After": str(rule.retry_after)} if rule.status in (429, 503) else {}
    return TwilioError(rule.status, code, message, headers=headers)


def in_twilio_format(error: HttpError) -> HttpError:
    """A core error (a malformed parameter) in Twilio's shape; Twilio's own errors stay as they are."""
    if isinstance(error, TwilioError):
        return error
    code = 20001 if error.code == 400 else error.code * 100
    return TwilioError(error.code, code, error.message, headers=error.headers)
