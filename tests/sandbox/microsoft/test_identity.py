"""The identity platform over real HTTPS, driven by msal itself: discovery, the auth code flow with
PKCE, refresh tokens that rotate, and Microsoft's error format."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import msal
import pytest

USER = "ana@acme.test"
REDIRECT = "http://localhost:8400/callback"


@pytest.fixture(autouse=True)
def no_ca_bundle_override(monkeypatch):
    """requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's ``verify`` (msal's
    ``verify=ca_path``); this machine sets them, so they go for these tests."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


def msal_app(sb, tenant="common"):
    return msal.ConfidentialClientApplication(sb.client_id, client_credential=sb.client_secret,
                                              authority=f"{sb.base_url}/{tenant}", instance_discovery=False,
                                              verify=sb.ca_path)


def consent(sb, flow) -> dict:
    """Follow the authorization URL like a browser that consents at once; the redirect's query."""
    with httpx.Client(verify=sb.certificates.client_context()) as client:
        answer = client.get(flow["auth_uri"], follow_redirects=False)
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(REDIRECT)
    return {k: v[-1] for k, v in parse_qs(urlsplit(location).query).items()}


def claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.mark.parametrize("tenant", ["common", "organizations", "3f1b3b43-7c59-4b8e-a3c4-5b1c3a0d9e77"])
def test_msal_auth_code_flow_then_refresh_returns_a_new_refresh_token_each_time(microsoft_sandbox, tenant):
    sb = microsoft_sandbox
    app = msal_app(sb, tenant)
    flow = app.initiate_auth_code_flow(["Mail.Read", "https://graph.microsoft.com/Calendars.Read"],
                                       redirect_uri=REDIRECT, login_hint=USER)
    query = consent(sb, flow)
    assert query["state"] == flow["state"]
    result = app.acquire_token_by_auth_code_flow(flow, query)
    assert "error" not in result, result
    assert result["id_token_claims"]["preferred_username"] == USER
    sent_nonce = parse_qs(urlsplit(flow["auth_uri"]).query)["nonce"][0]  # msal sends a hash of its nonce
    assert result["id_token_claims"]["nonce"] == sent_nonce
    assert {"Mail.Read", "Calendars.Read"} <= set(result["scope"].split())
    assert app.get_accounts()[0]["username"] == USER

    graph = httpx.get(f"{sb.base_url}/v1.0/me", verify=sb.certificates.client_context(),
                      headers={"Authorization": f"Bearer {result['access_token']}"})
    assert graph.status_code == 200 and graph.json()["mail"] == USER

    first_rt = result["refresh_token"]
    refreshed = app.acquire_token_by_refresh_token(first_rt, ["Mail.Read"])
    assert "error" not in refreshed, refreshed
    assert refreshed["refresh_token"] != first_rt
    again = app.acquire_token_by_refresh_token(refreshed["refresh_token"], ["Mail.Read"])
    assert again["refresh_token"] not in (first_rt, refreshed["refresh_token"])
    # Microsoft documents that an older refresh token stays valid until revoked
    assert "access_token" in msal_app(sb, tenant).acquire_token_by_refresh_token(first_rt, ["Mail.Read"])


def test_consent_as_overrides_the_login_hint(microsoft_sandbox):
    sb = microsoft_sandbox
    sb.consent_as("ben@acme.test")
    app = msal_app(sb)
    flow = app.initiate_auth_code_flow(["Mail.Read"], redirect_uri=REDIRECT, login_hint=USER)
    result = app.acquire_token_by_auth_code_flow(flow, consent(sb, flow))
    assert result["id_token_claims"]["preferred_username"] == "ben@acme.test"
    assert "ben@acme.test" in sb.accounts()


def token_post(sb, tenant="common", auth=None, **form):
    return httpx.post(f"{sb.base_url}/{tenant}/oauth2/v2.0/token", data=form, auth=auth,
                      verify=sb.certificates.client_context())


def authorize(sb, **params):
    base = {"client_id": sb.client_id, "response_type": "code", "redirect_uri": REDIRECT, "state": "s1",
            "login_hint": USER}
    base.update(params)
    answer = httpx.get(f"{sb.base_url}/common/oauth2/v2.0/authorize", params=base,
                       verify=sb.certificates.client_context())
    assert answer.status_code == 302
    return {k: v[-1] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}


def test_refresh_token_and_id_token_only_when_asked_for_and_basic_auth_works(microsoft_sandbox):
    sb = microsoft_sandbox
    query = authorize(sb, scope="Mail.Read")
    answer = token_post(sb, auth=(sb.client_id, sb.client_secret), grant_type="authorization_code",
                        code=query["code"], redirect_uri=REDIRECT)
    assert answer.status_code == 200
    body = answer.json()
    assert "refresh_token" not in body and "id_token" not in body
    assert body["token_type"] == "Bearer" and body["scope"] == "Mail.Read"
    info = json.loads(base64.urlsafe_b64decode(body["client_info"] + "=" * (-len(body["client_info"]) % 4)))
    assert set(info) == {"uid", "utid"}

    query = authorize(sb, scope="openid offline_access Mail.Read", nonce="n-123")
    body = token_post(sb, client_id=sb.client_id, client_secret=sb.client_secret, grant_type="authorization_code",
                      code=query["code"], redirect_uri=REDIRECT).json()
    assert body["refresh_token"] and claims(body["id_token"])["nonce"] == "n-123"
    assert claims(body["id_token"])["aud"] == sb.client_id


def test_pkce_mismatch_reused_code_bad_secret_and_revoked_refresh_are_aadsts_errors(microsoft_sandbox):
    sb = microsoft_sandbox
    query = authorize(sb, scope="Mail.Read offline_access", code_challenge="x" * 43, code_challenge_method="S256")
    wrong = token_post(sb, client_id=sb.client_id, client_secret=sb.client_secret, grant_type="authorization_code",
                       code=query["code"], redirect_uri=REDIRECT, code_verifier="not-the-verifier-" * 3)
    assert wrong.status_code == 400
    error = wrong.json()
    assert error["error"] == "invalid_grant" and error["error_description"].startswith("AADSTS501481:")
    assert error["error_codes"] == [501481] and error["trace_id"] and error["correlation_id"]
    reused = token_post(sb, client_id=sb.client_id, client_secret=sb.client_secret, grant_type="authorization_code",
                        code=query["code"], redirect_uri=REDIRECT)
    assert reused.json()["error_description"].startswith("AADSTS70000:")

    secret = token_post(sb, client_id=sb.client_id, client_secret="wrong", grant_type="refresh_token",
                        refresh_token="x")
    assert secret.status_code == 401 and secret.json()["error"] == "invalid_client"

    tokens = sb.issue_tokens(USER, ["Mail.Read", "offline_access"])
    sb.revoke_refresh_tokens(USER)
    revoked = token_post(sb, client_id=sb.client_id, client_secret=sb.client_secret, grant_type="refresh_token",
                         refresh_token=tokens["refresh_token"], scope="Mail.Read")
    assert revoked.status_code == 400 and revoked.json()["error"] == "invalid_grant"


def test_openid_configuration_points_every_endpoint_at_the_sandbox(microsoft_sandbox):
    sb = microsoft_sandbox
    config = httpx.get(f"{sb.base_url}/organizations/v2.0/.well-known/openid-configuration",
                       verify=sb.ca_path and sb.certificates.client_context()).json()
    for key in ("authorization_endpoint", "token_endpoint", "end_session_endpoint", "issuer"):
        assert config[key].startswith(sb.base_url + "/"), key
    assert config["token_endpoint"] == f"{sb.base_url}/organizations/oauth2/v2.0/token"


def test_env_names_the_https_base_and_ca_bundle(microsoft_sandbox):
    env = microsoft_sandbox.env()
    assert env["INTEGRATIONS_MICROSOFT_BASE_URL"].startswith("https://127.0.0.1:")
    assert open(env["INTEGRATIONS_MICROSOFT_CA_BUNDLE"]).read().startswith("-----BEGIN CERTIFICATE-----")
    assert env["INTEGRATIONS_MICROSOFT_CLIENT_ID"] and env["INTEGRATIONS_MICROSOFT_CLIENT_SECRET"]


def test_msal_with_its_own_session_trusts_the_ca_even_when_requests_ca_bundle_is_set(microsoft_sandbox, monkeypatch):
    """requests prefers REQUESTS_CA_BUNDLE over a session's ``verify`` unless ``trust_env`` is off:
    a client that must trust the sandbox's CA whatever the environment passes such a session."""
    import requests

    sb = microsoft_sandbox
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    session = requests.Session()
    session.verify, session.trust_env = sb.ca_path, False
    app = msal.ConfidentialClientApplication(sb.client_id, client_credential=sb.client_secret,
                                             authority=f"{sb.base_url}/common", instance_discovery=False,
                                             http_client=session)
    tokens = sb.issue_tokens(USER, ["Mail.Read", "offline_access"])
    refreshed = app.acquire_token_by_refresh_token(tokens["refresh_token"], ["Mail.Read"])
    assert refreshed.get("refresh_token") not in (None, tokens["refresh_token"]), refreshed
