"""Intuit's OAuth 2 for QuickBooks Online: the authorize URL, the code exchange, refresh and revoke.

The token endpoint takes the app's id and secret as HTTP Basic. Each refresh answers a new refresh
token (Intuit rotates it); the one used stops working soon after, so what a refresh learns is
stored before it is used (auth/tokens.py). A dead grant — revoked, expired, or a rotated token
reused after its grace — answers 400 `invalid_grant`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import httpx

from worker.errors import IntegrationsError
from worker.providers.quickbooks.capabilities import SCOPE
from worker.providers.quickbooks.settings import QuickBooksSettings

REVOKED, ALREADY_REVOKED, NOTHING_TO_REVOKE = "revoked", "already_revoked", "nothing_to_revoke"
DEAD_GRANT = {"invalid_grant"}


class GrantNotRevoked(IntegrationsError):
    """Intuit did not confirm the revocation: the app may still be connected to the company."""


def authorization_url(qs: QuickBooksSettings, redirect_uri: str, state: str, realm: str | None = None) -> str:
    params = {"client_id": qs.client_id, "response_type": "code", "scope": SCOPE, "redirect_uri": redirect_uri,
              "state": state}
    if realm:
        params["realm"] = realm  # a hint; the company the admin picks comes back as realmId
    return qs.authorize_url + "?" + urlencode(params)


def _basic(qs: QuickBooksSettings) -> tuple[str, str]:
    return qs.client_id, qs.client_secret.get_secret_value()


def _decoded(response: httpx.Response) -> dict:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        return {"error": f"http_{response.status_code}", "transient": response.status_code >= 500}
    if response.status_code >= 400 and "error" not in answer:
        answer["error"] = f"http_{response.status_code}"
    if response.status_code >= 500 or response.status_code == 429:
        answer["transient"] = True
    return answer


def exchange_code(qs: QuickBooksSettings, code: str, redirect_uri: str) -> dict:
    try:
        response = httpx.post(qs.token_url, data={"grant_type": "authorization_code", "code": code,
                                                  "redirect_uri": redirect_uri},
                              auth=_basic(qs), headers={"Accept": "application/json"},
                              timeout=qs.http_timeout_seconds)
    except httpx.HTTPError as error:
        raise IntegrationsError(f"Intuit's token endpoint did not answer ({type(error).__name__}): connect again") \
            from None
    answer = _decoded(response)
    if response.status_code != 200 or not answer.get("access_token") or not answer.get("refresh_token"):
        raise IntegrationsError(f"the code exchange failed: {answer.get('error') or 'no tokens'}: connect again")
    return answer


def to_stored(answer: dict, now: datetime | None = None) -> dict:
    """What we keep of a token answer (encrypted at rest): both tokens and when each expires."""
    now = now or datetime.now(timezone.utc)
    stored = {"access_token": answer["access_token"], "refresh_token": answer["refresh_token"]}
    if answer.get("expires_in"):
        stored["expiry"] = (now + timedelta(seconds=int(answer["expires_in"]))).isoformat()
    if answer.get("x_refresh_token_expires_in"):
        stored["refresh_expiry"] = (now + timedelta(seconds=int(answer["x_refresh_token_expires_in"]))).isoformat()
    return stored


async def refresh(http: httpx.AsyncClient, qs: QuickBooksSettings, refresh_token: str) -> dict:
    """One rotation: the decoded answer (tokens, or `error` with `transient` when worth retrying)."""
    try:
        response = await http.post(qs.token_url, data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                                   auth=_basic(qs), headers={"Accept": "application/json"})
    except httpx.HTTPError as error:
        return {"error": f"unreachable ({type(error).__name__})", "transient": True}
    return _decoded(response)


def revoke_token(qs: QuickBooksSettings, token: str) -> str:
    """Disconnect the app from the company (revoking either token ends the whole grant)."""
    try:
        response = httpx.post(qs.revoke_url, json={"token": token}, auth=_basic(qs),
                              headers={"Accept": "application/json"}, timeout=qs.http_timeout_seconds)
    except httpx.HTTPError as error:
        raise GrantNotRevoked(f"Intuit's revoke endpoint did not answer ({type(error).__name__})") from None
    if response.status_code == 200:
        return REVOKED
    if response.status_code == 400 and _decoded(response).get("error") in DEAD_GRANT | {"invalid_token"}:
        return ALREADY_REVOKED
    raise GrantNotRevoked(f"Intuit's revoke endpoint answered {response.status_code}")


def revoke_grant(settings, credentials: dict | None) -> str:
    """Deleting the connection disconnects the app from the company."""
    from worker.providers.quickbooks.settings import quickbooks_settings

    token = (credentials or {}).get("refresh_token") or (credentials or {}).get("access_token")
    if not token:
        return NOTHING_TO_REVOKE
    return revoke_token(quickbooks_settings(), token)
