"""The browser a connect was started in: a `__Host-` cookie whose sha256 the pending state keeps.

Redeeming a connect session (worker/http/connect_sessions.py) sets the cookie and binds the state
to its hash; the callback finishes the state only when the browser presents a cookie with that
hash. A consent URL sent to someone else (hijacking) is completed in a browser without it: refused.

`__Host-` means Secure, Path=/ and no Domain: no other host (a sibling subdomain) can set or
overwrite it. Browsers keep Secure cookies only from https origins and from http://localhost and
http://127.0.0.1 (potentially trustworthy origins), so serve must be reached over https
(INTEGRATIONS_PUBLIC_URL) or on the loopback.

One cookie per flow, named after its state's nonce, each with a fresh random value: two connects
started side by side in one browser (two tabs, two frames of one CRM page) each keep their own
binding. One value shared by the browser's flows raced: both redemptions arrived before either
answer set the cookie, each drew a value, and the later answer's overwrote the earlier flow's.
The callback clears its flow's cookie; an abandoned one expires with the state.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import Response

PREFIX = "__Host-integrations-connect-"
_WELL_FORMED = re.compile(r"^[A-Za-z0-9_-]{43}$")


def cookie_name(nonce: str) -> str:
    """The flow's cookie: a digest of its state's nonce (the nonce itself stays in the state)."""
    return PREFIX + hashlib.sha256(nonce.encode()).hexdigest()[:16]


def state_of(consent_url: str) -> str:
    """The `state` a consent URL carries (every provider's authorize URL holds ours)."""
    return parse_qs(urlsplit(consent_url).query).get("state", [""])[0]


def presented(request: Request, nonce: str) -> str | None:
    """The binding secret of this flow, when the browser sent a well-formed one."""
    value = request.cookies.get(cookie_name(nonce))
    return value if value and _WELL_FORMED.match(value) else None


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def set_cookie(response: Response, nonce: str, secret: str, max_age: int) -> None:
    response.set_cookie(cookie_name(nonce), secret, max_age=max_age, path="/", secure=True, httponly=True,
                        samesite="lax")


def clear_cookie(response: Response, nonce: str) -> None:
    response.delete_cookie(cookie_name(nonce), path="/", secure=True, httponly=True, samesite="lax")
