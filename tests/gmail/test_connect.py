"""`integrations connect google`: the whole consent flow over HTTP against the sandbox."""

import json
import os
import subprocess
import sys
import uuid

import httpx

from worker.connections import load_credentials
from worker.crypto import keyring_from_settings
from worker.db.connect import connect
from worker.providers.google.capabilities import CALENDAR_READONLY, GMAIL_READONLY, GMAIL_SEND
from worker.settings import get_settings


def run_connect(gsb, tenant, profile, account, *capabilities, extra=()):
    """Start the CLI, read the printed consent URL, consent through the sandbox like a browser."""
    args = [sys.executable, "-m", "worker.cli.__main__", "connect", "google", "--tenant", tenant, "--profile", profile,
            "--account", account, "--no-browser", "--timeout", "30", "--json", *extra]
    for capability in capabilities:
        args += ["--capability", capability]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    consent_url = None
    for line in proc.stdout:
        if line.startswith("http"):
            consent_url = line.strip()
            break
    assert consent_url, proc.stderr.read()
    answer = httpx.get(consent_url, follow_redirects=True, timeout=10)  # sandbox consents, redirects to loopback
    assert answer.status_code == 200
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return consent_url, json.loads(out)


def test_connect_requests_minimal_scopes_and_stores_encrypted_tokens(gsb, database_url):
    tenant, profile = str(uuid.uuid4()), str(uuid.uuid4())
    url, shown = run_connect(gsb, tenant, profile, "new.user@tenant.example", "sync_inbox_live", "send_email")
    scope = httpx.URL(url).params["scope"].split()
    assert sorted(scope) == sorted([GMAIL_READONLY, GMAIL_SEND])
    assert httpx.URL(url).params["login_hint"] == "new.user@tenant.example"
    assert httpx.URL(url).params["code_challenge_method"] == "S256"
    assert "include_granted_scopes" not in httpx.URL(url).params
    assert sorted(shown["granted_scopes"]) == sorted(scope)
    assert {s["capability"]: s["status"] for s in shown["capability_states"]} == {
        "sync_inbox_live": "ready", "send_email": "ready"}
    with connect(database_url) as conn:
        row = conn.execute("select * from integrations.connections where id = %s", (shown["id"],)).fetchone()
    stored = load_credentials(keyring_from_settings(get_settings()), row)
    assert stored["refresh_token"] and stored["refresh_token"].encode() not in bytes(row["credentials"])

    # enabling calendar later asks only for its scope, keeping what was granted
    url2, shown2 = run_connect(gsb, tenant, profile, "new.user@tenant.example", "sync_calendar_live")
    params = httpx.URL(url2).params
    assert params["scope"].split() == [CALENDAR_READONLY] and params["include_granted_scopes"] == "true"
    assert sorted(shown2["granted_scopes"]) == sorted([GMAIL_READONLY, GMAIL_SEND, CALENDAR_READONLY])
    assert shown2["id"] == shown["id"]
    assert "calendar.events" not in " ".join(shown2["granted_scopes"])  # read-only never holds write scope


def test_consenting_as_another_account_than_account_is_refused_and_stores_nothing(gsb, database_url):
    """The person picks ben@ in Google's account chooser although the CRM asked for ana@."""
    tenant, profile = str(uuid.uuid4()), str(uuid.uuid4())
    ana, ben = (f"{n}.{uuid.uuid4().hex[:8]}@tenant.example" for n in ("ana", "ben"))  # held by no other test
    args = [sys.executable, "-m", "worker.cli.__main__", "connect", "google", "--tenant", tenant, "--profile", profile,
            "--account", ana, "--no-browser", "--timeout", "30", "--json",
            "--capability", "sync_inbox_live"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    consent_url = next(line.strip() for line in proc.stdout if line.startswith("http"))
    as_ben = httpx.URL(consent_url).copy_set_param("login_hint", ben)
    assert httpx.get(as_ben, follow_redirects=True, timeout=10).status_code == 200
    out, err = proc.communicate(timeout=30)

    assert proc.returncode == 2, err
    assert f"consent was given as {ben}, not {ana}: nothing was stored" in err
    with connect(database_url) as conn:
        rows = conn.execute("select * from integrations.connections where tenant_id = %s", (tenant,)).fetchall()
    assert rows == []
    # the grant ben@ gave by mistake is not left alive at Google
    assert gsb.count_requests(method_id="oauth.revoke") == 1


def test_an_existing_connection_is_not_changed_by_a_consent_as_another_account(gsb, database_url):
    tenant, profile = str(uuid.uuid4()), str(uuid.uuid4())
    _, shown = run_connect(gsb, tenant, profile, "ana@tenant.example", "sync_inbox_live")
    args = [sys.executable, "-m", "worker.cli.__main__", "connect", "google", "--tenant", tenant, "--profile", profile,
            "--account", "ana@tenant.example", "--no-browser", "--timeout", "30", "--capability", "send_email"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    consent_url = next(line.strip() for line in proc.stdout if line.startswith("http"))
    gsb.consent_as("ben@tenant.example")  # the sandbox's knob for a person picking another account
    httpx.get(consent_url, follow_redirects=True, timeout=10)
    _, err = proc.communicate(timeout=30)

    assert proc.returncode == 2 and "not ana@tenant.example" in err
    with connect(database_url) as conn:
        row = conn.execute("select * from integrations.connections where id = %s", (shown["id"],)).fetchone()
    assert row["capabilities"] == ["sync_inbox_live"] and row["granted_scopes"] == [GMAIL_READONLY]
    stored = load_credentials(keyring_from_settings(get_settings()), row)
    profile_answer = httpx.get(gsb.base_url + "/gmail/v1/users/me/profile",
                               headers={"Authorization": f"Bearer {stored['token']}"})
    assert profile_answer.json()["emailAddress"] == "ana@tenant.example"


def test_a_calendar_only_consent_is_checked_through_the_primary_calendar(gsb, database_url):
    tenant, profile = str(uuid.uuid4()), str(uuid.uuid4())
    _, shown = run_connect(gsb, tenant, profile, "Cal.Only@Tenant.example", "sync_calendar_live")
    assert shown["granted_scopes"] == [CALENDAR_READONLY] and shown["status"] == "active"
    assert gsb.count_requests(method_id="calendar.calendars.get") == 1
    assert gsb.count_requests(method_id="gmail.users.getProfile") == 0
