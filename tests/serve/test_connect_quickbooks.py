"""The web connect flow for QuickBooks, a tenant-owned provider: no profile, the company the admin
picks on Intuit's consent page (`realmId`) is the connection's account; `account_hint` is checked."""

from __future__ import annotations

import secrets
import uuid

import httpx

from tests.serve import connect_flow
from tests.serve.test_connect_google import back, connections_of


def new_realm() -> str:
    return str(10**15 + secrets.randbelow(9 * 10**15))


def start(server, crm_url, **params) -> httpx.Response:
    return connect_flow.start(server, "quickbooks", **{"tenant_id": str(uuid.uuid4()),
                                                       "capabilities": "sync_accounting_live",
                                                       "return_to": f"{crm_url}/connected", **params})


def consent_as(consent_url: str, realm: str) -> str:
    """The admin picks `realm` on Intuit's page; the sandbox redirects to our callback: its URL."""
    answer = httpx.get(httpx.URL(consent_url).copy_set_param("realm", realm), follow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.text
    return answer.headers["location"]


def test_the_company_the_admin_picks_becomes_the_tenants_connection(server, crm_url, serve_db):
    tenant, realm = str(uuid.uuid4()), new_realm()
    started = start(server, crm_url, tenant_id=tenant)
    assert started.status_code == 302
    consent_url = httpx.URL(started.headers["location"])
    assert consent_url.params["redirect_uri"] == server.url + "/oauth/quickbooks/callback"
    assert "code_challenge" not in consent_url.params  # Intuit takes no PKCE

    landed = back(consent_as(started.headers["location"], realm))
    [row] = connections_of(serve_db, tenant)
    assert landed.params["connection_id"] == str(row["id"]) and landed.params["provider"] == "quickbooks"
    assert (row["profile_id"], row["account_id"], row["status"]) == (None, realm, "active")


def test_a_profile_is_refused_for_a_tenant_owned_provider(server, crm_url):
    answer = start(server, crm_url, profile_id=str(uuid.uuid4()))
    assert answer.status_code == 400 and "location" not in answer.headers
    assert "belongs to the tenant" in answer.json()["error"]


def test_another_company_than_account_hint_goes_back_with_wrong_account(server, crm_url, serve_db):
    tenant, asked, picked = str(uuid.uuid4()), new_realm(), new_realm()
    started = start(server, crm_url, tenant_id=tenant, account_hint=asked)
    assert httpx.URL(started.headers["location"]).params["realm"] == asked
    landed = back(consent_as(started.headers["location"], picked))
    assert landed.params["error"] == "wrong_account"
    assert connections_of(serve_db, tenant) == []
