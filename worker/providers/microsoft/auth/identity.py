"""The Microsoft identity platform through msal: the app, refreshes, and what a token answer grants.

msal is pointed at `INTEGRATIONS_MICROSOFT_BASE_URL` when it is set (instance discovery off: msal
would otherwise ask login.microsoftonline.com whether the host is an authority) and verifies TLS
against `CA_BUNDLE`. Its calls are blocking (requests); the async code runs them in a thread.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import msal
import requests

from worker.errors import IntegrationsError
from worker.providers.microsoft.capabilities import OFFLINE_ACCESS, RESERVED
from worker.providers.microsoft.settings import MicrosoftSettings

GRAPH_RESOURCE = "https://graph.microsoft.com/"
# token-endpoint errors that only a person consenting again can fix
REAUTH_ERRORS = {"invalid_grant", "interaction_required", "consent_required", "invalid_client",
                 "unauthorized_client"}


class _TrustingSession(requests.Session):
    """requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE replace a session's `verify` (msal's
    `verify=`); a configured CA bundle is passed with every request instead, where nothing overrides it."""

    def __init__(self, ca_bundle: str) -> None:
        super().__init__()
        self.ca_bundle = ca_bundle

    def request(self, method, url, **kwargs):
        kwargs["verify"] = self.ca_bundle
        return super().request(method, url, **kwargs)


def msal_app(settings: MicrosoftSettings) -> msal.ConfidentialClientApplication:
    """A confidential client on the configured authority; raises IntegrationsError when the
    authority cannot be reached or is not one (msal reads its OpenID configuration first)."""
    session = _TrustingSession(str(settings.ca_bundle)) if settings.ca_bundle else None
    try:
        return msal.ConfidentialClientApplication(
            settings.client_id, client_credential=settings.client_secret.get_secret_value(),
            authority=settings.authority, instance_discovery=settings.base_url is None, http_client=session,
            timeout=settings.http_timeout_seconds)
    except Exception as error:  # requests' errors, msal's ValueError for a bad authority
        raise IntegrationsError(f"the Microsoft identity platform at {settings.authority} could not be used:"
                                f" {type(error).__name__}") from None


def requestable(scopes) -> list[str]:
    """The scopes to name in a request (msal adds offline_access, openid and profile itself)."""
    return sorted(set(scopes) - RESERVED)


def short_scope(scope: str) -> str:
    return scope[len(GRAPH_RESOURCE):] if scope.startswith(GRAPH_RESOURCE) else scope


def granted_scopes(answer: dict) -> list[str]:
    """What the token answer grants, in our short form; a refresh token proves offline_access."""
    raw = answer.get("scope") or []
    scopes = {short_scope(s) for s in (raw.split() if isinstance(raw, str) else raw)}
    if answer.get("refresh_token"):
        scopes.add(OFFLINE_ACCESS)
    return sorted(scopes)


def to_stored(answer: dict, previous_refresh_token: str | None = None) -> dict:
    """A token answer as the credentials we store (encrypted)."""
    expiry = datetime.now(timezone.utc) + timedelta(seconds=int(answer.get("expires_in") or 3600))
    return {"token": answer["access_token"], "refresh_token": answer.get("refresh_token") or previous_refresh_token,
            "expiry": expiry.isoformat(), "scopes": granted_scopes(answer)}


def error_text(answer: dict) -> str:
    """The token endpoint's error without anything secret: its code and the AADSTS description."""
    description = str(answer.get("error_description") or "").splitlines()[0:1]
    return f"{answer.get('error')}: {description[0] if description else ''}".rstrip(": ")
