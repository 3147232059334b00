"""The web connect flow for Slack (tenant-owned): the installer's workspace becomes the tenant's
connection; an install that grants fewer scopes is stored (what was granted works) and the UI is
told `missing_scope` beside the connection id."""

from __future__ import annotations

import uuid

import httpx

from tests.serve import connect_flow
from tests.serve.test_connect_google import back, connections_of
from tests.slack.conftest import new_team


def start(server, crm_url, **params) -> httpx.URL:
    answer = connect_flow.start(server, "slack", **{"tenant_id": str(uuid.uuid4()),
                                                    "capabilities": "sync_channels_live,post_message",
                                                    "return_to": f"{crm_url}/connected", **params})
    assert answer.status_code == 302, answer.text
    return httpx.URL(answer.headers["location"])


def install(consent_url: httpx.URL) -> str:
    answer = httpx.get(consent_url, follow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.text
    return answer.headers["location"]


def test_the_installers_workspace_becomes_the_tenants_connection(server, crm_url, serve_db):
    tenant, team = str(uuid.uuid4()), new_team()
    consent_url = start(server, crm_url, tenant_id=tenant)
    assert consent_url.params["code_challenge_method"] == "S256"
    landed = back(install(consent_url.copy_set_param("team", team)))
    [row] = connections_of(serve_db, tenant)
    assert landed.params["connection_id"] == str(row["id"]) and "error" not in landed.params
    assert (row["account_id"], row["profile_id"], row["status"]) == (team, None, "active")


def test_an_install_without_a_needed_scope_is_stored_and_reported_as_missing_scope(server, crm_url, serve_db):
    tenant, team = str(uuid.uuid4()), new_team()
    consent_url = start(server, crm_url, tenant_id=tenant, account_hint=team)
    fewer = ",".join(s for s in consent_url.params["scope"].split(",") if s != "chat:write")
    landed = back(install(consent_url.copy_set_param("scope", fewer)))
    [row] = connections_of(serve_db, tenant)
    assert landed.params["error"] == "missing_scope" and landed.params["connection_id"] == str(row["id"])
    assert "chat:write" not in row["granted_scopes"]


def test_another_workspace_than_account_hint_goes_back_with_wrong_account(server, crm_url, serve_db):
    tenant, asked, picked = str(uuid.uuid4()), new_team(), new_team()
    consent_url = start(server, crm_url, tenant_id=tenant, account_hint=asked)
    landed = back(install(consent_url.copy_set_param("team", picked)))
    assert landed.params["error"] == "wrong_account" and "connection_id" not in landed.params
    assert connections_of(serve_db, tenant) == []
