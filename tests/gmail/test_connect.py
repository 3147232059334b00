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
