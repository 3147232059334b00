"""Slack's OAuth v2 workspace install: the authorize URL, the code exchange, refresh and revoke.

A workspace install yields a bot token for the team (`xoxb-`). With token rotation on, the token
expires (12 h) and `oauth.v2.access` with `grant_type=refresh_token` answers a new pair, revoking
the previous refresh token: what we store is replaced in one compare-and-swap (worker/sync/grant.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import httpx

from worker.errors import IntegrationsError
from worker.loopback import Pkce
from worker.providers.slack.settings import SlackSettings

REVOKED, ALREADY_REVOKED, NOTHING_TO_REVOKE = "revoked", "already_revoked", "nothing_to_revoke"
# answers of oauth.v2.access / auth.revoke that mean the grant is gone
DEAD_GRANT = {"invalid_refresh_token", "invalid_grant", "invalid_auth", "token_revoked", "account_inactive",
              "app_uninstalled", "not_authed", "token_expired"}


class GrantNotRevoked(IntegrationsError):
    """Slack did not confirm the revocation: the install may still be alive there."""


def authorization_url(ss: SlackSettings, redirect_uri: str, scopes: frozenset[str], state: str, pkce: Pkce,
                      team: str | None = None) -> str:
    params = {"client_id": ss.client_id, "scope": ",".join(sorted(scopes)), "user_scope": "",
              "redirect_uri": redirect_uri, "state": state, "code_challenge": pkce.challenge,
              "code_challenge_method": "S256"}
    if team:
        params["team"] = team  # preselects the workspace on Slack's consent page
    return ss.authorize_url + "?" + urlencode(params)


def _access(ss: SlackSettings, form: dict) -> dict:
    """POST oauth.v2.access (client id and secret as HTTP Basic); the decoded answer."""
    try:
        response = httpx.post(f"{ss.api}/oauth.v2.access", data=form, timeout=ss.http_timeout_seconds,
                              auth=(ss.client_id, ss.client_secret.get_secret_value()))
        return response.json() if response.status_code < 500 else {"ok": False, "error": f"http_{response.status_code}"}
    except (httpx.HTTPError, ValueError) as error:
        return {"ok": False, "error": f"unreachable ({type(error).__name__})"}


def exchange_code(ss: SlackSettings, code: str, pkce: Pkce, redirect_uri: str) -> dict:
    answer = _access(ss, {"code": code, "redirect_uri": redirect_uri, "code_verifier": pkce.verifier})
    if not answer.get("ok") or answer.get("token_type", "bot") != "bot" or not answer.get("access_token"):
        raise IntegrationsError(f"the code exchange failed: {answer.get('error') or 'no bot token'}: connect again")
    return answer


def to_stored(answer: dict) -> dict:
    """What we keep of an `oauth.v2.access` answer (encrypted at rest)."""
    stored = {"token": answer["access_token"], "scopes": sorted(filter(None, str(answer.get("scope") or "").split(","))),
              "bot_user_id": answer.get("bot_user_id"), "app_id": answer.get("app_id"),
              "team": answer.get("team") or {}, "refresh_token": answer.get("refresh_token")}
    if answer.get("expires_in"):
        stored["expiry"] = (datetime.now(timezone.utc) + timedelta(seconds=int(answer["expires_in"]))).isoformat()
    return stored


async def refresh(http: httpx.AsyncClient, ss: SlackSettings, refresh_token: str) -> dict:
    """One rotation: the answer of `oauth.v2.access` with `grant_type=refresh_token` (ok or not)."""
    response = await http.post(f"{ss.api}/oauth.v2.access", data={
        "grant_type": "refresh_token", "refresh_token": refresh_token,
        "client_id": ss.client_id, "client_secret": ss.client_secret.get_secret_value()})
    if response.status_code >= 500 or response.status_code == 429:
        return {"ok": False, "error": f"http_{response.status_code}", "transient": True}
    try:
        return response.json()
    except ValueError:
        return {"ok": False, "error": "malformed_json", "transient": True}


def revoke_token(ss: SlackSettings, token: str) -> str:
    try:
        response = httpx.post(f"{ss.api}/auth.revoke", headers={"Authorization": f"Bearer {token}"},
                              timeout=ss.http_timeout_seconds)
        answer = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise GrantNotRevoked(f"Slack's auth.revoke did not answer ({type(error).__name__})") from None
    if answer.get("ok"):
        return REVOKED
    if answer.get("error") in DEAD_GRANT:
        return ALREADY_REVOKED
    raise GrantNotRevoked(f"Slack's auth.revoke answered {answer.get('error') or response.status_code}")


def revoke_grant(settings, credentials: dict | None) -> str:
    """Uninstall at Slack: revoking the bot token removes the app's access to the workspace."""
    from worker.providers.slack.settings import slack_settings

    token = (credentials or {}).get("token")
    if not token:
        return NOTHING_TO_REVOKE
    return revoke_token(slack_settings(), token)
