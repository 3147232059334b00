"""OAuth: consent as login_hint, PKCE, refresh tokens, incremental scopes, revocation, expiry."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sandbox.google import scopes
from sandbox.google.oauth import pkce_s256

REDIRECT = "http://127.0.0.1:9/callback"


def consent(sb, email, scope_list, verifier=None, **extra):
    params = {"client_id": sb.client_id, "redirect_uri": REDIRECT, "response_type": "code",
              "scope": " ".join(scope_list), "state": "xyz", "login_hint": email, **extra}
    if verifier:
        params.update(code_challenge=pkce_s256(verifier), code_challenge_method="S256")
    answer = httpx.get(sb.base_url + "/o/oauth2/v2/auth", params=params, follow_redirects=False)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    assert location.path == "/callback"
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def exchange(sb, code, verifier=None, **overrides):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": sb.client_id, "client_secret": sb.client_secret}
    if verifier:
        form["code_verifier"] = verifier
    form.update(overrides)
    return httpx.post(sb.base_url + "/token", data=form)


def test_authorization_code_flow_with_pkce_creates_the_account_and_grants_scopes(sandbox):
    verifier = secrets.token_urlsafe(48)
    query = consent(sandbox, "new@acme.test", [scopes.GMAIL_READONLY], verifier, access_type="offline")
    assert query["state"] == "xyz"
    assert "new@acme.test" in sandbox.accounts()
    answer = exchange(sandbox, query["code"], verifier)
    assert answer.status_code == 200
    tokens = answer.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["scope"] == scopes.GMAIL_READONLY
    assert tokens["refresh_token"]
    profile = httpx.get(sandbox.base_url + "/gmail/v1/users/me/profile",
                        headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert profile.json()["emailAddress"] == "new@acme.test"


def test_wrong_pkce_verifier_is_invalid_grant(sandbox):
    query = consent(sandbox, "a@acme.test", [scopes.GMAIL_READONLY], "right-verifier-" + "x" * 40)
    answer = exchange(sandbox, query["code"], "wrong-verifier-" + "y" * 40)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_code_is_single_use(sandbox):
    query = consent(sandbox, "a@acme.test", [scopes.GMAIL_READONLY])
    assert exchange(sandbox, query["code"]).status_code == 200
    assert exchange(sandbox, query["code"]).json()["error"] == "invalid_grant"


def test_online_access_gives_no_refresh_token(sandbox):
    query = consent(sandbox, "a@acme.test", [scopes.GMAIL_READONLY])
    assert "refresh_token" not in exchange(sandbox, query["code"]).json()


def test_include_granted_scopes_unions_earlier_grants(sandbox):
    consent(sandbox, "a@acme.test", [scopes.GMAIL_READONLY])
    query = consent(sandbox, "a@acme.test", [scopes.CALENDAR_READONLY], include_granted_scopes="true")
    granted = exchange(sandbox, query["code"]).json()["scope"].split()
    assert sorted(granted) == sorted([scopes.GMAIL_READONLY, scopes.CALENDAR_READONLY])
    alone = consent(sandbox, "a@acme.test", [scopes.CALENDAR_READONLY])
    assert exchange(sandbox, alone["code"]).json()["scope"] == scopes.CALENDAR_READONLY


def test_wrong_client_secret_is_invalid_client(sandbox):
    query = consent(sandbox, "a@acme.test", [scopes.GMAIL_READONLY])
    answer = exchange(sandbox, query["code"], client_secret="nope")
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_unknown_client_at_authorize_is_refused(sandbox):
    answer = httpx.get(sandbox.base_url + "/o/oauth2/v2/auth",
                       params={"client_id": "other", "redirect_uri": REDIRECT, "scope": "x"})
    assert answer.status_code == 401


def refresh(sb, refresh_token):
    return httpx.post(sb.base_url + "/token", data={
        "grant_type": "refresh_token", "refresh_token": refresh_token,
        "client_id": sb.client_id, "client_secret": sb.client_secret})


def test_refresh_grant_mints_a_new_access_token(sandbox):
    tokens = sandbox.issue_tokens("a@acme.test", [scopes.GMAIL_READONLY])
    answer = refresh(sandbox, tokens["refresh_token"])
    assert answer.status_code == 200
    body = answer.json()
    assert body["access_token"] != tokens["access_token"]
    assert body["scope"] == scopes.GMAIL_READONLY
    assert "refresh_token" not in body


def test_revoked_or_unknown_refresh_token_is_invalid_grant(sandbox):
    tokens = sandbox.issue_tokens("a@acme.test", [scopes.GMAIL_READONLY])
    assert sandbox.revoke_refresh_tokens("a@acme.test") == 1
    answer = refresh(sandbox, tokens["refresh_token"])
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
    assert refresh(sandbox, "1//unknown").json()["error"] == "invalid_grant"
    # the access tokens minted from it stop working too
    profile = httpx.get(sandbox.base_url + "/gmail/v1/users/me/profile",
                        headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert profile.status_code == 401


def test_revoke_endpoint_revokes_the_refresh_token(sandbox):
    tokens = sandbox.issue_tokens("a@acme.test", [scopes.GMAIL_READONLY])
    answer = httpx.post(sandbox.base_url + "/revoke", data={"token": tokens["refresh_token"]})
    assert answer.status_code == 200
    assert refresh(sandbox, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert httpx.post(sandbox.base_url + "/revoke", data={"token": "nope"}).status_code == 400


def test_unsupported_grant_type(sandbox):
    answer = httpx.post(sandbox.base_url + "/token", data={
        "grant_type": "password", "client_id": sandbox.client_id, "client_secret": sandbox.client_secret})
    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"


def test_client_credentials_in_basic_auth_are_accepted(sandbox):
    tokens = sandbox.issue_tokens("a@acme.test", [scopes.GMAIL_READONLY])
    answer = httpx.post(sandbox.base_url + "/token", auth=(sandbox.client_id, sandbox.client_secret),
                        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert answer.status_code == 200


def test_expired_access_token_is_401_auth_error(gmail, sandbox):
    assert gmail.get("/gmail/v1/users/me/profile").status_code == 200
    sandbox.expire_access_tokens()
    answer = gmail.get("/gmail/v1/users/me/profile")
    assert answer.status_code == 401
    assert answer.json()["error"]["errors"][0]["reason"] == "authError"
    assert "Bearer" in answer.headers["www-authenticate"]


def test_access_token_lifetime_is_configurable(sandbox):
    sandbox.set_access_token_lifetime(0)
    tokens = sandbox.issue_tokens("a@acme.test", [scopes.GMAIL_READONLY])
    assert tokens["expires_in"] == 0
    answer = httpx.get(sandbox.base_url + "/gmail/v1/users/me/profile",
                       headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert answer.status_code == 401


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic abc"])
def test_missing_or_unknown_token_is_401(sandbox, header):
    headers = {"Authorization": header} if header else {}
    answer = httpx.get(sandbox.base_url + "/gmail/v1/users/me/profile", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["error"]["status"] == "UNAUTHENTICATED"


def test_google_auth_credentials_refresh_against_the_sandbox(sandbox):
    from google.auth.exceptions import RefreshError
    pytest.importorskip("requests")
    from google.auth.transport.requests import Request
    from google.oauth2.credentials import Credentials

    tokens = sandbox.issue_tokens("a@acme.test", [scopes.GMAIL_READONLY])
    creds = Credentials(None, refresh_token=tokens["refresh_token"], token_uri=sandbox.base_url + "/token",
                        client_id=sandbox.client_id, client_secret=sandbox.client_secret)
    creds.refresh(Request())
    assert creds.token and creds.valid
    sandbox.revoke_refresh_tokens(refresh_token=tokens["refresh_token"])
    with pytest.raises(RefreshError) as caught:
        creds.refresh(Request())
    assert caught.value.retryable is False


def test_revoke_endpoint_ends_the_access_tokens_too_and_a_second_revoke_is_invalid_token(sandbox):
    tokens = sandbox.issue_tokens("a@acme.test", [scopes.GMAIL_READONLY])
    minted = refresh(sandbox, tokens["refresh_token"]).json()["access_token"]
    assert httpx.post(sandbox.base_url + "/revoke", data={"token": tokens["refresh_token"]}).status_code == 200
    for access in (tokens["access_token"], minted):
        answer = httpx.get(sandbox.base_url + "/gmail/v1/users/me/profile",
                           headers={"Authorization": f"Bearer {access}"})
        assert answer.status_code == 401
    again = httpx.post(sandbox.base_url + "/revoke", data={"token": tokens["refresh_token"]})
    assert again.status_code == 400 and again.json()["error"] == "invalid_token"


def test_consent_as_overrides_the_login_hint_like_choosing_another_account(sandbox):
    answer = httpx.put(sandbox.base_url + "/_sandbox/oauth", json={"consent_as": "ben@acme.test"})
    assert answer.status_code in (200, 204)
    query = consent(sandbox, "ana@acme.test", [scopes.GMAIL_READONLY], access_type="offline")
    tokens = exchange(sandbox, query["code"]).json()
    profile = httpx.get(sandbox.base_url + "/gmail/v1/users/me/profile",
                        headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert profile.json()["emailAddress"] == "ben@acme.test"
    sandbox.consent_as(None)
    query = consent(sandbox, "ana@acme.test", [scopes.GMAIL_READONLY], access_type="offline")
    tokens = exchange(sandbox, query["code"]).json()
    profile = httpx.get(sandbox.base_url + "/gmail/v1/users/me/profile",
                        headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert profile.json()["emailAddress"] == "ana@acme.test"


def test_with_the_consent_page_on_authorization_asks_first_and_cancel_is_access_denied(sandbox):
    httpx.put(sandbox.base_url + "/_sandbox/oauth", json={"consent_page": True}).raise_for_status()
    params = {"client_id": sandbox.client_id, "redirect_uri": REDIRECT, "response_type": "code",
              "scope": scopes.GMAIL_READONLY, "state": "xyz", "login_hint": "asked@acme.test"}
    page = httpx.get(sandbox.base_url + "/o/oauth2/v2/auth", params=params)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "asked@acme.test" in page.text and scopes.GMAIL_READONLY in page.text  # who, and what for
    assert 'name="state" value="xyz"' in page.text  # the request comes back whole with the decision
    for decision, expected in (("deny", {"error": "access_denied", "state": "xyz"}), ("allow", None)):
        answer = httpx.get(sandbox.base_url + "/o/oauth2/v2/auth", params={**params, "sandbox_consent": decision},
                           follow_redirects=False)
        assert answer.status_code == 302
        query = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}
        if expected:
            assert query == expected
        else:
            assert query["code"] and query["state"] == "xyz"
    httpx.put(sandbox.base_url + "/_sandbox/oauth", json={"consent_page": False}).raise_for_status()
    assert consent(sandbox, "asked@acme.test", [scopes.GMAIL_READONLY])["code"]  # at once again
