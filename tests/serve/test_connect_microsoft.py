"""The web connect flow for Microsoft over HTTP: `GET /connect/microsoft` -> the sandbox's identity
platform (HTTPS, its own CA, trusted by serve through INTEGRATIONS_MICROSOFT_CA_BUNDLE) ->
`GET /oauth/microsoft/callback` -> `return_to`. msal's auth code flow dict travels in the state's
row, encrypted; msal checks the state and the id token's nonce against it."""

from __future__ import annotations

import json
import uuid

import httpx

from tests.serve import connect_flow
from tests.serve.conftest import KEYS
from tests.serve.test_connect_google import back, connections_of, rows
from worker.crypto import Keyring, parse_keys
from worker.providers.microsoft.capabilities import MAIL_READ, MAIL_READWRITE, MAIL_SEND


def account() -> str:
    return f"ana.{uuid.uuid4().hex[:8]}@tenant.example"


def start(server, crm_url, *, tenant: str, hint: str | None, capabilities="sync_inbox_live") -> httpx.Response:
    return connect_flow.start(server, "microsoft", tenant_id=tenant, profile_id=str(uuid.uuid4()),
                              capabilities=capabilities, return_to=f"{crm_url}/connected", account_hint=hint)


def consent(sandbox, consent_url: httpx.URL) -> str:
    answer = httpx.get(consent_url, follow_redirects=False, timeout=10, verify=sandbox.certificates.client_context())
    assert answer.status_code in (302, 303), answer.text
    return answer.headers["location"]


def test_connect_stores_the_consenting_mailbox_and_a_replayed_state_is_refused(
        server, crm_url, serve_db, microsoft_sandbox_server):
    tenant, ana = str(uuid.uuid4()), account()
    started = start(server, crm_url, tenant=tenant, hint=ana, capabilities="sync_inbox_live,send_email")
    assert started.status_code == 302, started.text
    consent_url = httpx.URL(started.headers["location"])
    assert str(consent_url).startswith(microsoft_sandbox_server.base_url + "/")
    assert {MAIL_READ, MAIL_READWRITE, MAIL_SEND} <= set(consent_url.params["scope"].split())
    assert consent_url.params["code_challenge_method"] == "S256" and consent_url.params["login_hint"] == ana
    assert consent_url.params["redirect_uri"] == server.url + "/oauth/microsoft/callback"
    [state] = rows(serve_db, "select * from integrations.oauth_states where tenant_id = %s", tenant)
    flow = json.loads(Keyring(parse_keys(KEYS)).decrypt(bytes(state["secret"]), f"oauth_state:{state['nonce']}")
                      ["verifier"])
    assert flow["state"] == consent_url.params["state"]  # msal's flow carries our signed state
    assert flow["code_verifier"].encode() not in bytes(state["secret"])

    callback = consent(microsoft_sandbox_server, consent_url)
    landed = back(callback)
    [row] = connections_of(serve_db, tenant)
    assert landed.params["connection_id"] == str(row["id"]) and "error" not in landed.params
    assert (row["provider"], row["account_id"], row["status"]) == ("microsoft", ana, "active")
    assert {MAIL_READ, MAIL_SEND} <= set(row["granted_scopes"])

    rows(serve_db, "delete from integrations.connections where tenant_id = %s returning id", tenant)
    replayed = back(callback)
    assert replayed.params["error"] == "state_used" and connections_of(serve_db, tenant) == []


def test_another_account_or_a_denied_consent_goes_back_with_its_error_and_stores_nothing(
        server, crm_url, serve_db, microsoft_sandbox_server):
    tenant, ana, ben = str(uuid.uuid4()), account(), account()
    consent_url = httpx.URL(start(server, crm_url, tenant=tenant, hint=ana).headers["location"])
    landed = back(consent(microsoft_sandbox_server, consent_url.copy_set_param("login_hint", ben)))  # ben signed in
    assert landed.params["error"] == "wrong_account" and "connection_id" not in landed.params

    consent_url = httpx.URL(start(server, crm_url, tenant=tenant, hint=ana).headers["location"])
    denied = f"{server.url}/oauth/microsoft/callback?" + str(httpx.QueryParams(
        error="access_denied", error_description="AADSTS65004: User declined to consent",
        state=consent_url.params["state"]))
    assert back(denied).params["error"] == "consent_denied"
    assert connections_of(serve_db, tenant) == []

    missing = start(server, crm_url, tenant=tenant, hint=None)
    assert missing.status_code == 400 and "account_hint" in missing.text
