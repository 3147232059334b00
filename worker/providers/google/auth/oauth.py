"""OAuth 2 authorization-code flow with PKCE and a loopback redirect (installed-app style).

We ask for exactly the scopes the chosen capabilities need; when the account already granted
others, `include_granted_scopes=true` keeps them, so enabling a capability later never narrows
what earlier ones hold.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import httpx

from worker.errors import IntegrationsError
from worker.loopback import LoopbackReceiver, Pkce  # noqa: F401  (Google's connect flow uses them from here)
from worker.providers.google.client.endpoints import GoogleEndpoints
from worker.providers.google.client.errors import error_from_response
from worker.settings import Settings


def authorization_url(endpoints: GoogleEndpoints, client_id: str, redirect_uri: str, scopes: list[str],
                      state: str, pkce: Pkce, login_hint: str | None, include_granted_scopes: bool) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(sorted(scopes)),
        "state": state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        "access_type": "offline",
        "prompt": "consent",
    }
    if include_granted_scopes:
        params["include_granted_scopes"] = "true"
    if login_hint:
        params["login_hint"] = login_hint
    return endpoints.authorize + "?" + urlencode(params)


def exchange_code(settings: Settings, endpoints: GoogleEndpoints, code: str, pkce: Pkce,
                  redirect_uri: str) -> dict:
    """Trade the authorization code for tokens; returns what we store (encrypted)."""
    response = httpx.post(endpoints.token, data={
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": pkce.verifier,
        "redirect_uri": redirect_uri,
        "client_id": settings.google_client_id,
        "client_secret": settings.google_client_secret.get_secret_value(),
    }, timeout=settings.http_timeout_seconds)
    if response.status_code != 200:
        error = error_from_response(response.status_code, response.content)
        raise IntegrationsError(f"token exchange failed: {error.reason or response.status_code} {error.message}")
    body = response.json()
    expiry = datetime.now(timezone.utc) + timedelta(seconds=int(body.get("expires_in", 3600)))
    scopes = body.get("scope", "").split()
    return {"token": body["access_token"], "refresh_token": body.get("refresh_token"),
            "expiry": expiry.isoformat(), "scopes": scopes}


class GrantNotRevoked(IntegrationsError):
    """The provider did not confirm the revocation: the grant may still be alive there."""


REVOKED = "revoked"
ALREADY_REVOKED = "already_revoked"
NOTHING_TO_REVOKE = "nothing_to_revoke"


def revoke_grant(settings: Settings, credentials: dict | None) -> str:
    """Revoke a connection's grant at Google (`POST /revoke`, form `token=`).

    The refresh token is revoked when we hold one — Google then refuses it and every access token
    minted from it. Returns REVOKED, ALREADY_REVOKED (Google no longer knows the token: revoked
    by the user, expired, or by an earlier attempt) or NOTHING_TO_REVOKE; raises GrantNotRevoked
    when Google could not be reached or refused for another reason. The token is never logged.
    """
    token = (credentials or {}).get("refresh_token") or (credentials or {}).get("token")
    if not token:
        return NOTHING_TO_REVOKE
    endpoints = GoogleEndpoints.from_settings(settings)
    try:
        response = httpx.post(endpoints.revoke, data={"token": token},
                              headers={"Content-Type": "application/x-www-form-urlencoded"},
                              timeout=settings.http_timeout_seconds)
    except httpx.HTTPError as error:
        raise GrantNotRevoked(f"Google's revoke endpoint did not answer ({type(error).__name__})") from None
    if response.status_code == 200:
        return REVOKED
    error = error_from_response(response.status_code, response.content)
    if response.status_code == 400 and error.reason in ("invalid_token", "invalid_grant"):
        return ALREADY_REVOKED
    raise GrantNotRevoked(f"Google's revoke endpoint answered {response.status_code} {error.reason or ''}".strip())


GMAIL_PROFILE_SCOPES = {"https://mail.google.com/"} | {
    "https://www.googleapis.com/auth/gmail." + s for s in ("readonly", "compose", "modify", "metadata")}
CALENDAR_PRIMARY_SCOPES = {"https://www.googleapis.com/auth/calendar",
                           "https://www.googleapis.com/auth/calendar.readonly"}


def consented_account(settings: Settings, endpoints: GoogleEndpoints, access_token: str, scopes: list[str]) -> str:
    """The Google account that actually consented: Gmail's profile address, or (for a
    calendar-only grant) the primary calendar's id, which is the account's address.

    `login_hint` is only a hint: the person can pick any account in Google's chooser, so the
    connection's account must be checked against what the tokens really open.
    """
    headers = {"Authorization": f"Bearer {access_token}"}
    granted = set(scopes)
    if granted & GMAIL_PROFILE_SCOPES:
        url, field = endpoints.gmail + "/users/me/profile", "emailAddress"
    elif granted & CALENDAR_PRIMARY_SCOPES:
        url, field = endpoints.calendar + "/calendars/primary", "id"
    else:
        raise IntegrationsError("cannot tell which account consented: no granted scope can read its address")
    try:
        response = httpx.get(url, headers=headers, timeout=settings.http_timeout_seconds)
    except httpx.HTTPError as error:
        raise IntegrationsError(f"could not check which account consented ({type(error).__name__}): "
                                "connect again") from None
    if response.status_code != 200:
        error = error_from_response(response.status_code, response.content)
        raise IntegrationsError(f"could not check which account consented: Google answered "
                                f"{response.status_code} {error.reason or ''}".strip())
    address = response.json().get(field)
    if not isinstance(address, str) or "@" not in address:
        raise IntegrationsError("could not check which account consented: Google's answer has no address")
    return address.strip().lower()
