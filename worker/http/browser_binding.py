"""The browser a connect was started in: a `__Host-` cookie whose sha256 the pending state keeps.

Redeeming a connect session (worker/http/connect_sessions.py) sets the cookie and binds the state
to its hash; the callback finishes the state only when the browser presents a cookie with that
hash. A consent URL sent to someone else (hijacking) is completed in a browser without it: refused.

`__Host-` means Secure, Path=/ and no Domain: no other host (a sibling subdomain) can set or
overwrite it. Browsers keep Secure cookies only from https origins and from http://localhost and
http://127.0.0.1 (potentially trustworthy origins), so serve must be reached over https
(INTEGRATIONS_PUBLIC_URL) or on the loopback. One random value per browser, reused by every flow
it starts, so two connects started side by side in one browser both complete.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "__Host-integrations-connect"
_WELL_FORMED = re.compile(r"^[A-Za-z0-9_-]{43}$")


def presented(request: Request) -> str | None:
    """The browser's binding secret, when it sent a well-formed one."""
    value = request.cookies.get(COOKIE)
    return value if value and _WELL_FORMED.match(value) else None


def secret_for(request: Request) -> str:
    """The browser's secret: the one it holds, or a new one."""
    return presented(request) or secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def set_cookie(response: Response, secret: str, max_age: int) -> None:
    response.set_cookie(COOKIE, secret, max_age=max_age, path="/", secure=True, httponly=True, samesite="lax")
