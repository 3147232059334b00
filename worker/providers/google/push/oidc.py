"""Verifying the OIDC token Pub/Sub puts on each push (`Authorization: Bearer <JWT>`).

google-auth checks the signature against the issuer's certs, `iat`/`exp` and the audience
(`google.auth.jwt.decode`, what `google.oauth2.id_token.verify_token` runs after fetching the certs).
That function fetches the certs on every call; a burst of pushes would fetch them a hundred times, so
they are cached here for CERTS_SECONDS and fetched again when a token names a key we do not hold
(Google rotates its keys). Then the identity: `iss` Google, `email` our push service account, verified.
"""

from __future__ import annotations

import threading
import time

import httpx
from google.auth import exceptions as google_exceptions
from google.auth import jwt

from worker.capabilities import PushRefused

ISSUERS = ("https://accounts.google.com", "accounts.google.com")  # Google's ID tokens carry either
CERTS_SECONDS = 3600
CLOCK_SKEW_SECONDS = 10


class CertsCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._certs: dict[str, tuple[float, dict]] = {}

    def get(self, url: str, fresh: bool = False) -> dict:
        with self._lock:
            cached = self._certs.get(url)
            if cached and not fresh and time.monotonic() - cached[0] < CERTS_SECONDS:
                return cached[1]
        try:
            answer = httpx.get(url, timeout=10.0)
            answer.raise_for_status()
            certs = answer.json()
        except (httpx.HTTPError, ValueError) as error:
            raise PushRefused(503, f"the token's certs could not be fetched from {url}: {type(error).__name__}") from None
        if not isinstance(certs, dict) or not all(isinstance(v, str) for v in certs.values()):
            raise PushRefused(503, f"{url} did not answer {{kid: PEM}}")
        with self._lock:
            self._certs[url] = (time.monotonic(), certs)
        return certs


CERTS = CertsCache()


def bearer(authorization: str) -> str:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise PushRefused(401, "missing Authorization: Bearer <OIDC token>")
    return token.strip()


def verify_push_token(authorization: str, *, audience: str, service_account: str | None, certs_url: str) -> dict:
    """The token's claims, or PushRefused: 401 when it does not verify, 403 when it is not our push account's."""
    if not service_account:
        raise PushRefused(401, "INTEGRATIONS_GOOGLE_PUSH_SERVICE_ACCOUNT is not set: no Google push can be verified")
    token = bearer(authorization)
    try:
        header = jwt.decode_header(token)
    except (ValueError, google_exceptions.GoogleAuthError):
        raise PushRefused(401, "the bearer token is not a JWT") from None
    certs = CERTS.get(certs_url)
    if header.get("kid") and header["kid"] not in certs:
        certs = CERTS.get(certs_url, fresh=True)  # a rotated key
    try:
        claims = jwt.decode(token, certs=certs, audience=audience, clock_skew_in_seconds=CLOCK_SKEW_SECONDS)
    except (ValueError, google_exceptions.GoogleAuthError) as error:
        raise PushRefused(401, f"the OIDC token does not verify: {_reason(error)}") from None
    if claims.get("iss") not in ISSUERS:
        raise PushRefused(403, "the OIDC token was not issued by Google")
    if claims.get("email") != service_account:
        raise PushRefused(403, "the OIDC token is not the push service account's")
    if claims.get("email_verified") is not True:
        raise PushRefused(403, "the OIDC token's email is not verified")
    return claims


def _reason(error: Exception) -> str:
    """google-auth's message without the token's content (it may quote claims)."""
    text = str(error)
    for known in ("expired", "Token used too early", "audience", "Could not verify token signature",
                  "Certificate for key id", "Wrong number of segments"):
        if known.lower() in text.lower():
            return known
    return type(error).__name__
