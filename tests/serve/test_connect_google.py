"""The web connect flow for Google over HTTP: `GET /connect/google` -> the sandbox's consent ->
`GET /oauth/google/callback` -> `return_to` with the connection id, or with an error code the UI can
show. Each refusal stores nothing, and a `return_to` outside the allow-list is never redirected to."""

from __future__ import annotations

import uuid

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from sandbox.core.tokens import pkce_s256
from tests.serve import connect_flow
from tests.serve.conftest import KEYS
from tests.serve.connect_flow import BROWSER, Browser
from worker.crypto import Keyring, parse_keys
from worker.providers.google.capabilities import CALENDAR_READONLY, GMAIL_READONLY, GMAIL_SEND


def account() -> str:
    return f"ana.{uuid.uuid4().hex[:8]}@tenant.example"  # held by no other test


def start(server, crm_url, *, tenant=None, profile="new", hint=None, capabilities="sync_inbox_live",
          return_to=None, browser: Browser = BROWSER) -> httpx.Response:
    """The CRM creates a connect session and the browser redeems it (302 to Google's consent)."""
    return connect_flow.start(server, "google", browser, tenant_id=tenant or str(uuid.uuid4()),
                              profile_id=str(uuid.uuid4()) if profile == "new" else profile, account_hint=hint,
                              capabilities=capabilities, return_to=return_to or f"{crm_url}/connected?from=settings")


def consent(consent_url: str | httpx.URL) -> str:
    """The sandbox consents and redirects to our callback: its URL (code and state in the query)."""
    answer = httpx.get(consent_url, follow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.text
    return answer.headers["location"]


def back(callback_url: str, browser: Browser = BROWSER) -> httpx.URL:
    """What the callback redirects the browser to (return_to with our answer)."""
    answer = browser.get(callback_url)
    assert answer.status_code == 302, answer.text
    return httpx.URL(answer.headers["location"])


def rows(db: str, sql: str, *args) -> list[dict]:
    with psycopg.connect(db, row_factory=dict_row) as conn:
        return conn.execute(sql, args).fetchall()


def connections_of(db: str, tenant: str) -> list[dict]:
    return rows(db, "select * from integrations.connections where tenant_id = %s", tenant)


def test_connect_lands_on_return_to_with_the_connection_and_a_second_connect_adds_capabilities(
        server, crm_url, serve_db):
    tenant, profile, ana = str(uuid.uuid4()), str(uuid.uuid4()), account()
    started = start(server, crm_url, tenant=tenant, profile=profile, hint=ana,
                    capabilities="sync_inbox_live,send_email")
    assert started.status_code == 302
    consent_url = httpx.URL(started.headers["location"])
    assert consent_url.params["scope"].split() == sorted([GMAIL_READONLY, GMAIL_SEND])  # minimal scopes
    assert consent_url.params["code_challenge_method"] == "S256" and consent_url.params["code_challenge"]
    assert consent_url.params["redirect_uri"] == server.url + "/oauth/google/callback"
    assert consent_url.params["login_hint"] == ana

    landed = back(consent(consent_url))
    assert str(landed).startswith(f"{crm_url}/connected?from=settings&")
    [row] = connections_of(serve_db, tenant)
    assert landed.params["connection_id"] == str(row["id"]) and "error" not in landed.params
    assert (str(row["profile_id"]), row["account_id"], row["status"]) == (profile, ana, "active")
    assert sorted(row["granted_scopes"]) == sorted([GMAIL_READONLY, GMAIL_SEND])
    assert rows(serve_db, "select * from integrations.oauth_states where tenant_id = %s", tenant) == []

    again = start(server, crm_url, tenant=tenant, profile=profile, hint=ana, capabilities="sync_calendar_live")
    again_url = httpx.URL(again.headers["location"])
    assert again_url.params["scope"] == CALENDAR_READONLY and again_url.params["include_granted_scopes"] == "true"
    assert back(consent(again_url)).params["connection_id"] == str(row["id"])
    [row] = connections_of(serve_db, tenant)
    assert CALENDAR_READONLY in row["granted_scopes"] and GMAIL_SEND in row["granted_scopes"]


def test_a_replayed_state_is_refused_and_stores_nothing_more(server, crm_url, serve_db):
    tenant, ana = str(uuid.uuid4()), account()
    callback = consent(start(server, crm_url, tenant=tenant, hint=ana).headers["location"])
    first = back(callback)
    assert "connection_id" in first.params
    rows(serve_db, "delete from integrations.connections where tenant_id = %s returning id", tenant)

    replayed = back(callback)
    assert replayed.params["error"] == "state_used" and "connection_id" not in replayed.params
    assert connections_of(serve_db, tenant) == []


def test_an_expired_state_is_refused(server, crm_url, serve_db):
    tenant = str(uuid.uuid4())
    callback = consent(start(server, crm_url, tenant=tenant, hint=account()).headers["location"])
    [state] = rows(serve_db, "update integrations.oauth_states set expires_at = now() - interval '1 second'"
                             " where tenant_id = %s returning created_at, expires_at", tenant)
    assert back(callback).params["error"] == "state_expired"
    assert connections_of(serve_db, tenant) == []
    assert back(callback).params["error"] == "state_used"  # an expired state is gone too


def test_the_state_row_lives_ten_minutes_and_keeps_the_verifier_encrypted(server, crm_url, serve_db):
    tenant = str(uuid.uuid4())
    consent_url = httpx.URL(start(server, crm_url, tenant=tenant, hint=account()).headers["location"])
    [state] = rows(serve_db, "select *, expires_at - created_at as ttl from integrations.oauth_states"
                             " where tenant_id = %s", tenant)
    assert state["ttl"].total_seconds() == 600
    verifier = Keyring(parse_keys(KEYS)).decrypt(bytes(state["secret"]), f"oauth_state:{state['nonce']}")["verifier"]
    assert verifier.encode() not in bytes(state["secret"])
    assert pkce_s256(verifier) == consent_url.params["code_challenge"]  # the verifier of this consent


def test_denied_consent_goes_back_with_consent_denied(server, crm_url, serve_db):
    tenant = str(uuid.uuid4())
    consent_url = httpx.URL(start(server, crm_url, tenant=tenant, hint=account()).headers["location"])
    denied = f"{server.url}/oauth/google/callback?" + str(httpx.QueryParams(
        error="access_denied", state=consent_url.params["state"]))  # what Google sends on "Cancel"
    landed = back(denied)
    assert landed.params["error"] == "consent_denied" and str(landed).startswith(f"{crm_url}/connected?")
    assert connections_of(serve_db, tenant) == []


def test_consenting_as_another_account_goes_back_with_wrong_account(server, crm_url, serve_db):
    tenant, ana, ben = str(uuid.uuid4()), account(), account()
    consent_url = httpx.URL(start(server, crm_url, tenant=tenant, hint=ana).headers["location"])
    landed = back(consent(consent_url.copy_set_param("login_hint", ben)))  # ben picked in the chooser
    assert landed.params["error"] == "wrong_account" and "connection_id" not in landed.params
    assert connections_of(serve_db, tenant) == []


def test_a_consent_without_a_needed_scope_goes_back_with_missing_scope(server, crm_url, serve_db):
    tenant = str(uuid.uuid4())
    consent_url = httpx.URL(start(server, crm_url, tenant=tenant, hint=account(),
                                  capabilities="sync_inbox_live,sync_calendar_live").headers["location"])
    assert consent_url.params["scope"].split() == sorted([CALENDAR_READONLY, GMAIL_READONLY])
    landed = back(consent(consent_url.copy_set_param("scope", GMAIL_READONLY)))  # calendar left unticked
    assert landed.params["error"] == "missing_scope"
    assert connections_of(serve_db, tenant) == []


@pytest.mark.parametrize("return_to", [
    "https://evil.example/connected",
    "{crm}/connected-elsewhere",
    "{crm}/settings",
    "{crm}@evil.example/connected",
    "http://user@{host}/connected",
    "//evil.example/connected",
    "javascript:alert(1)",
    "{crm}/connected\\@evil.example",
    "",
])
def test_a_return_to_outside_the_allow_list_is_400_and_never_redirected_to(server, crm_url, serve_db, return_to):
    tenant = str(uuid.uuid4())
    target = return_to.format(crm=crm_url, host=crm_url.split("://")[1])
    answer = start(server, crm_url, tenant=tenant, hint=account(), return_to=target or " ")
    assert answer.status_code == 400 and "location" not in answer.headers
    assert "return_to" in answer.text
    assert rows(serve_db, "select * from integrations.oauth_states where tenant_id = %s", tenant) == []


def test_a_forged_or_tampered_state_is_400(server, crm_url):
    consent_url = httpx.URL(start(server, crm_url, hint=account()).headers["location"])
    payload, signature = consent_url.params["state"].split(".")
    for state in (f"{payload}.{signature[:-2]}AA", "not-a-state", ""):
        answer = httpx.get(f"{server.url}/oauth/google/callback", params={"state": state, "code": "4/x"})
        assert answer.status_code == 400 and "location" not in answer.headers


@pytest.mark.parametrize("provider, params, expected", [
    ("google", {"profile": None}, "owned by a user"),
    ("google", {"capabilities": "no_such_capability"}, "no_such_capability"),
    ("google", {"capabilities": ""}, "capabilities is required"),
    ("google", {"tenant": "not-a-uuid"}, "tenant_id must be a UUID"),
    ("twilio", {}, "twilio has no OAuth consent"),
])
def test_bad_requests_are_400_with_a_clear_error(server, crm_url, provider, params, expected):
    answer = connect_flow.create_session(
        server, provider, tenant_id=params.get("tenant", str(uuid.uuid4())), account_hint=account(),
        profile_id=str(uuid.uuid4()) if params.get("profile", "new") else None,
        capabilities=params.get("capabilities", "sync_inbox_live"), return_to=f"{crm_url}/connected")
    assert answer.status_code == 400 and "location" not in answer.headers
    assert expected in answer.json()["error"]


def test_a_hint_typed_with_capitals_is_stored_lower_case_and_connected_again_as_one(server, crm_url, serve_db):
    tenant, profile, ana = str(uuid.uuid4()), str(uuid.uuid4()), account()
    typed = ana.replace("ana.", "Ana.").replace("tenant.example", "Tenant.Example")
    started = start(server, crm_url, tenant=tenant, profile=profile, hint=typed)
    assert httpx.URL(started.headers["location"]).params["login_hint"] == ana
    back(consent(started.headers["location"]))
    landed = back(consent(start(server, crm_url, tenant=tenant, profile=profile, hint=ana.upper(),
                                capabilities="send_email").headers["location"]))
    [row] = connections_of(serve_db, tenant)  # one connection, whatever the case it was typed in
    assert row["account_id"] == ana and landed.params["connection_id"] == str(row["id"])
    assert sorted(row["capabilities"]) == ["send_email", "sync_inbox_live"]


def grants_alive(sandbox, email: str) -> int:
    """Refresh tokens the sandbox's Google still honours for `email`."""
    return sum(1 for record in list(sandbox.tokens.refresh_tokens.values())
               if record.grant.email == email and not record.revoked)


def test_a_consent_short_of_a_scope_revokes_its_fresh_grant_at_google(server, crm_url, serve_db, sandbox_server):
    tenant, ana = str(uuid.uuid4()), account()
    consent_url = httpx.URL(start(server, crm_url, tenant=tenant, hint=ana,
                                  capabilities="sync_inbox_live,sync_calendar_live").headers["location"])
    landed = back(consent(consent_url.copy_set_param("scope", GMAIL_READONLY)))  # calendar left unticked
    assert landed.params["error"] == "missing_scope" and connections_of(serve_db, tenant) == []
    assert grants_alive(sandbox_server, ana) == 0  # nothing stored, and nothing left alive at Google


def test_a_consent_short_of_a_scope_keeps_the_grant_a_connection_of_that_account_holds(
        server, crm_url, serve_db, sandbox_server):
    tenant, profile, ana = str(uuid.uuid4()), str(uuid.uuid4()), account()
    back(consent(start(server, crm_url, tenant=tenant, profile=profile, hint=ana).headers["location"]))
    assert grants_alive(sandbox_server, ana) == 1
    more = httpx.URL(start(server, crm_url, tenant=tenant, profile=profile, hint=ana,
                           capabilities="sync_calendar_live").headers["location"])
    landed = back(consent(more.copy_set_param("scope", GMAIL_READONLY)))  # calendar left unticked again
    assert landed.params["error"] == "missing_scope"
    assert grants_alive(sandbox_server, ana) >= 1  # revoking would end the stored connection's grant too
    [row] = connections_of(serve_db, tenant)
    assert row["status"] == "active" and CALENDAR_READONLY not in row["granted_scopes"]
