"""Verifying the OIDC token Pub/Sub puts on each push (`Authorization: Bearer <JWT>`).

google-auth checks the signature against the issuer's certs, `iat`/`exp` and the audience
(`google.auth.jwt.decode`, what `google.oauth2.id_token.verify_token` runs after fetching the certs).
That function fetches the certs on every call; a burst of pushes would fetch them a hundred times, so
they are cached here for CERTS_SECONDS. A token naming a key we do not hold (Google rotates its keys)
makes us look again, but only once every INTEGRATIONS_GOOGLE_CERTS_MIN_REFETCH_SECONDS whatever the
kid, and one caller at a time: forged tokens with random kids cost one fetch a minute, not one each.
This verification blocks (HTTP, a lock): the push core runs it off the event loop. Then the identity:
`iss` Google, `email` our push service account, verified.
"""

from __future__ import annotations

import threading
import time

import httpx
from google.auth import exceptions as google_exceptions
from google.auth import jwt

from worker.capabilities import PushRefused
from worker.settings import get_settings

ISSUERS = ("https://accounts.google.com", "accounts.google.com")  # Google's ID tokens carry either
CERTS_SECONDS = 3600
CLOCK_SKEW_SECONDS = 10


class CertsCache:
    """The keys per certs URL. `_lock` is held while fetching (single flight: callers arriving
    meanwhile wait and use that answer); `_attempted` throttles fetches, failed ones included."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._certs: dict[str, dict] = {}
        self._attempted: dict[str, float] = {}

    def get(self, url: str, kid: str | None = None, *, min_refetch_seconds: float) -> dict:
        """The cached keys, fetched again when older than CERTS_SECONDS or when they lack `kid`,
        but never sooner than `min_refetch_seconds` after the last attempt."""
        with self._lock:
            now = time.monotonic()
            certs, attempted = self._certs.get(url), self._attempted.get(url)
            wanted = (certs is None or now - attempted >= CERTS_SECONDS
                      or (kid is not None and kid not in certs))
            if wanted and (attempted is None or now - attempted >= min_refetch_seconds):
                self._attempted[url] = now
                certs = self._certs[url] = _fetch(url)
            if certs is None:
                raise PushRefused(503, f"the token's certs could not be fetched from {url} (tried again at most every"
                                       f" {min_refetch_seconds:g} s)")
            return certs


def _fetch(url: str) -> dict:
    try:
        answer = httpx.get(url, timeout=10.0)
        answer.raise_for_status()
        certs = answer.json()
    except (httpx.HTTPError, ValueError) as error:
        raise PushRefused(503, f"the token's certs could not be fetched from {url}: {type(error).__name__}") from None
    if not isinstance(certs, dict) or not all(isinstance(v, str) for v in certs.values()):
        raise PushRefused(503, f"{url} did not answer {{kid: PEM}}")
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
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    certs = CERTS.get(certs_url, kid, min_refetch_seconds=get_settings().google_certs_min_refetch_seconds)
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
