"""`integrations connect quickbooks`: the company the consent names (realmId) is the account; no profile."""

import asyncio
import json
import os
import subprocess
import sys
import uuid

import httpx

from tests.quickbooks.conftest import new_realm
from worker.connections import load_credentials
from worker.crypto import keyring_from_settings
from worker.db.connect import connect
from worker.settings import get_settings


def start_connect(*capabilities, tenant=None, extra=()):
    tenant = tenant or str(uuid.uuid4())
    args = [sys.executable, "-m", "worker.cli.__main__", "connect", "quickbooks", "--tenant", tenant,
            "--no-browser", "--timeout", "30", "--json", *extra]
    for capability in capabilities:
        args += ["--capability", capability]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())


def consent(proc, qsb, realm: str) -> str:
    """Read the printed consent URL and consent as the admin of `realm`, like a browser would."""
    consent_url = next((line.strip() for line in proc.stdout if line.startswith("http")), None)
    assert consent_url, proc.stderr.read()
    # the admin picks `realm` on the consent page (whatever company the URL suggested)
    answer = httpx.get(httpx.URL(consent_url).copy_set_param("realm", realm), follow_redirects=True, timeout=10)
    assert answer.status_code == 200, answer.text
    return consent_url


def connections_of(database_url, tenant) -> list[dict]:
    with connect(database_url) as conn:
        return conn.execute("select * from integrations.connections where tenant_id = %s", (tenant,)).fetchall()


def test_consent_stores_the_realm_as_account_without_profile_and_asks_only_the_accounting_scope(qsb, database_url):
    realm, tenant = new_realm(), str(uuid.uuid4())
    proc = start_connect("sync_accounting_live", tenant=tenant)
    url = consent(proc, qsb, realm)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    shown = json.loads(out)
    assert httpx.URL(url).params["scope"] == "com.intuit.quickbooks.accounting"
    [row] = connections_of(database_url, tenant)
    assert row["provider"] == "quickbooks" and row["account_id"] == realm and row["profile_id"] is None
    stored = load_credentials(keyring_from_settings(get_settings()), row)
    assert stored["refresh_token"] and stored["refresh_token"].encode() not in bytes(row["credentials"])
    assert stored["refresh_token"] not in out + err and stored["access_token"] not in out + err
    assert {s["capability"]: s["status"] for s in shown["capability_states"]} == {"sync_accounting_live": "ready"}

    proc = start_connect("sync_accounting_once", tenant=tenant)  # the same company again: one connection
    consent(proc, qsb, realm)
    assert proc.wait(30) == 0
    [again] = connections_of(database_url, tenant)
    assert again["id"] == row["id"] and set(again["capabilities"]) == {"sync_accounting_live", "sync_accounting_once"}
    assert load_credentials(keyring_from_settings(get_settings()), again)["refresh_token"] != stored["refresh_token"]


def test_profile_is_refused_and_a_consent_for_another_company_stores_nothing(qsb, database_url):
    tenant = str(uuid.uuid4())
    refused = subprocess.run([sys.executable, "-m", "worker.cli.__main__", "connect", "quickbooks", "--tenant", tenant,
                              "--profile", str(uuid.uuid4()), "--capability", "sync_accounting_live", "--no-browser"],
                             capture_output=True, text=True, env=os.environ.copy(), timeout=30)
    assert refused.returncode == 2 and "--profile is refused" in refused.stderr

    asked, chosen = new_realm(), new_realm()
    proc = start_connect("sync_accounting_live", tenant=tenant, extra=("--account", asked))
    consent(proc, qsb, chosen)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and f"connected company {chosen}, not {asked}" in err
    assert connections_of(database_url, tenant) == []
    assert qsb.count_requests(method_id="oauth.revoke", user=chosen) == 1  # the stray grant is disconnected


def test_a_consent_for_a_company_another_tenant_holds_never_disconnects_that_tenant(qsb, database_url, company):
    """Intuit's revoke disconnects the app from the whole company: "disconnecting the stray grant
    again" would end the other tenant's working connection to that realm (200 -> 401 -> invalid_grant)."""
    held = company()
    held.customer("Ana Books")
    tenant = str(uuid.uuid4())
    asked = new_realm()
    proc = start_connect("sync_accounting_live", tenant=tenant, extra=("--account", asked))
    consent(proc, qsb, held.realm)  # the admin picked the company the first tenant connected
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and f"connected company {held.realm}, not {asked}" in err
    assert connections_of(database_url, tenant) == []
    held.customer("Ben Bakery")
    asyncio.run(held.run_live())  # the first tenant keeps syncing
    assert held.row()["status"] == "active"
    assert {c["DisplayName"] for c in held.live().values()} == {"Ana Books", "Ben Bakery"}
    assert qsb.count_requests(method_id="oauth.revoke") == 0
