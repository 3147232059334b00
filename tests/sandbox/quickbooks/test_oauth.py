"""Intuit OAuth 2 against the sandbox with Intuit's own client (intuit-oauth's ``AuthClient``, which
reads the discovery document): consent with realmId, code exchange, refresh rotation with its grace
period, revoke; and what the token endpoint refuses."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

REDIRECT = "http://127.0.0.1:9/callback"


def client_for(sb, **kwargs) -> AuthClient:
    return AuthClient(sb.client_id, sb.client_secret, REDIRECT, environment=sb.discovery_url, **kwargs)


def consent(url: str) -> dict:
    """Follow the consent URL once (automatic consent) and read the redirect's query."""
    answer = httpx.get(url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT)
    return {k: v[-1] for k, v in parse_qs(urlsplit(location).query).items()}


def test_discovery_names_the_sandbox_endpoints(quickbooks_sandbox):
    client = client_for(quickbooks_sandbox)
    base = quickbooks_sandbox.base_url
    assert client.auth_endpoint == f"{base}/connect/oauth2"
    assert client.token_endpoint == f"{base}/oauth2/v1/tokens/bearer"
    assert client.revoke_endpoint == f"{base}/v2/oauth2/tokens/revoke"


def test_consent_code_exchange_answers_tokens_and_the_realm(quickbooks_sandbox):
    sb = quickbooks_sandbox
    client = client_for(sb)
    url = client.get_authorization_url([Scopes.ACCOUNTING], state_token="st-1")
    back = consent(url)
    assert back["state"] == "st-1" and back["realmId"] == sb.DEFAULT_REALM and back["code"]
    client.get_bearer_token(back["code"], realm_id=back["realmId"])
    assert client.access_token and client.refresh_token
    assert client.expires_in == 3600 and client.x_refresh_token_expires_in == 8_726_400
    answer = httpx.get(f"{sb.base_url}/v3/company/{back['realmId']}/query",
                       params={"query": "select count(*) from Customer"},
                       headers={"Authorization": f"Bearer {client.access_token}"})
    assert answer.status_code == 200 and answer.json()["QueryResponse"] == {"totalCount": 0}
    with pytest.raises(AuthClientError) as reused:
        client.get_bearer_token(back["code"])  # a code is good once
    assert reused.value.status_code == 400 and reused.value.response.json()["error"] == "invalid_grant"


def test_consent_picks_the_realm_asked_for_and_refuses_a_missing_scope(quickbooks_sandbox):
    sb = quickbooks_sandbox
    client = client_for(sb)
    back = consent(client.get_authorization_url([Scopes.ACCOUNTING], state_token="s") + "&realm=4620816365194574830")
    assert back["realmId"] == "4620816365194574830"
    assert "4620816365194574830" in sb.accounts()
    refused = consent(client.get_authorization_url([Scopes.OPENID], state_token="s"))
    assert refused == {"error": "invalid_scope", "state": "s"}


def test_every_refresh_rotates_and_the_old_token_dies_after_the_grace(quickbooks_sandbox):
    sb = quickbooks_sandbox
    sb.refresh_grace_seconds = 60
    client = client_for(sb)
    client.get_bearer_token(consent(client.get_authorization_url([Scopes.ACCOUNTING], "s"))["code"])
    seen = [client.refresh_token]
    for _ in range(3):
        client.refresh()
        seen.append(client.refresh_token)
    assert len(set(seen)) == 4  # every refresh answered a new refresh token
    inside = client_for(sb, refresh_token=seen[0])
    inside.refresh()  # the first one is still inside its grace period
    assert inside.refresh_token not in seen
    sb.advance(61)
    for old in seen[:-1]:
        with pytest.raises(AuthClientError) as dead:
            client_for(sb).refresh(refresh_token=old)
        assert dead.value.status_code == 400 and dead.value.response.json() == {"error": "invalid_grant"}
    client.refresh()  # the newest one works; so does the one the grace refresh answered
    client_for(sb).refresh(refresh_token=inside.refresh_token)


def test_two_workers_refreshing_one_token_at_once_both_end_with_a_working_token(quickbooks_sandbox):
    sb = quickbooks_sandbox
    shared = sb.issue_tokens(sb.DEFAULT_REALM)["refresh_token"]
    clients = [client_for(sb, refresh_token=shared) for _ in range(2)]
    threads = [threading.Thread(target=c.refresh) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    fresh = [c.refresh_token for c in clients]
    assert len(set(fresh)) == 2 and shared not in fresh
    sb.advance(sb.refresh_grace_seconds + 1)
    for token in fresh:
        client_for(sb).refresh(refresh_token=token)


def test_a_zero_grace_kills_the_used_token_at_once(quickbooks_sandbox):
    sb = quickbooks_sandbox
    sb.refresh_grace_seconds = 0
    first = sb.issue_tokens(sb.DEFAULT_REALM)["refresh_token"]
    client = client_for(sb, refresh_token=first)
    client.refresh()
    sb.advance(1)
    with pytest.raises(AuthClientError):
        client_for(sb).refresh(refresh_token=first)


def test_access_tokens_expire_with_the_clock_and_the_lifetime_is_settable(quickbooks_sandbox):
    sb = quickbooks_sandbox
    sb.set_access_token_lifetime(60)
    answer = sb.issue_tokens(sb.DEFAULT_REALM)
    assert answer["expires_in"] == 60
    url = f"{sb.base_url}/v3/company/{sb.DEFAULT_REALM}/query"
    headers = {"Authorization": f"Bearer {answer['access_token']}"}
    assert httpx.get(url, params={"query": "select * from Customer"}, headers=headers).status_code == 200
    sb.advance(61)
    expired = httpx.get(url, params={"query": "select * from Customer"}, headers=headers)
    assert expired.status_code == 401 and expired.json()["Fault"]["Error"][0]["code"] == "3200"
    assert expired.json()["Fault"]["type"] == "AuthenticationFault"


def test_revoke_disconnects_the_realm(quickbooks_sandbox):
    sb = quickbooks_sandbox
    client = client_for(sb)
    client.get_bearer_token(consent(client.get_authorization_url([Scopes.ACCOUNTING], "s"))["code"])
    access = client.access_token
    assert client.revoke(token=client.refresh_token) is True
    denied = httpx.get(f"{sb.base_url}/v3/company/{sb.DEFAULT_REALM}/query", params={"query": "select * from Invoice"},
                       headers={"Authorization": f"Bearer {access}"})
    assert denied.status_code == 401
    with pytest.raises(AuthClientError) as dead:
        client.refresh()
    assert dead.value.response.json()["error"] == "invalid_grant"
    assert sb.requests(method_id="oauth.revoke")[0]["user"] == sb.DEFAULT_REALM


def test_the_token_endpoint_refuses_a_wrong_secret_and_unknown_grants(quickbooks_sandbox):
    sb = quickbooks_sandbox
    wrong = AuthClient(sb.client_id, "not-the-secret", REDIRECT, environment=sb.discovery_url)
    with pytest.raises(AuthClientError) as refused:
        wrong.refresh(refresh_token=sb.issue_tokens(sb.DEFAULT_REALM)["refresh_token"])
    assert refused.value.status_code == 401 and refused.value.response.json()["error"] == "invalid_client"
    with pytest.raises(AuthClientError) as unknown:
        client_for(sb).refresh(refresh_token="AB11unknown")
    assert unknown.value.response.json() == {"error": "invalid_grant"}
    other = httpx.post(f"{sb.base_url}/oauth2/v1/tokens/bearer", data={"grant_type": "password"},
                       auth=(sb.client_id, sb.client_secret))
    assert other.status_code == 400 and other.json()["error"] == "unsupported_grant_type"


def test_the_hard_expiry_is_answered_when_asked(quickbooks_sandbox):
    sb = quickbooks_sandbox
    client = client_for(sb, refresh_token=sb.issue_tokens(sb.DEFAULT_REALM)["refresh_token"])
    client.include_refresh_token_hard_expires_in = True
    client.refresh()
    assert 0 < client.x_refresh_token_hard_expires_in <= 5 * 365 * 86400


def test_with_the_consent_page_on_cancel_goes_back_as_access_denied_and_allow_with_the_realm(quickbooks_sandbox):
    sb = quickbooks_sandbox
    sb.show_consent_page(True)
    url = client_for(sb).get_authorization_url([Scopes.ACCOUNTING], state_token="s") + "&realm=4620816365194574831"
    page = httpx.get(url)
    assert page.status_code == 200 and "company 4620816365194574831" in page.text
    assert consent(url + "&sandbox_consent=deny") == {"error": "access_denied", "state": "s"}
    assert consent(url + "&sandbox_consent=allow")["realmId"] == "4620816365194574831"
