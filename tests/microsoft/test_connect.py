"""`integrations connect microsoft`: consent through msal against the sandbox's identity platform."""

import json
import os
import subprocess
import sys
import uuid

import httpx

from worker.connections import load_credentials
from worker.crypto import keyring_from_settings
from worker.db.connect import connect
from worker.settings import get_settings


def start_connect(account, *capabilities, tenant=None, profile=None, extra=()):
    tenant, profile = tenant or str(uuid.uuid4()), profile or str(uuid.uuid4())
    args = [sys.executable, "-m", "worker.cli.__main__", "connect", "microsoft", "--tenant", tenant,
            "--profile", profile, "--account", account, "--no-browser", "--timeout", "30", "--json", *extra]
    for capability in capabilities:
        args += ["--capability", capability]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())


def consent(proc, sandbox) -> str:
    """Read the printed consent URL and consent through the sandbox like a browser would."""
    consent_url = None
    for line in proc.stdout:
        if line.startswith("http"):
            consent_url = line.strip()
            break
    assert consent_url, proc.stderr.read()
    answer = httpx.get(consent_url, follow_redirects=True, timeout=10, verify=sandbox.ca_path)
    assert answer.status_code == 200
    return consent_url


def test_connect_asks_for_the_capabilities_scopes_with_pkce_and_stores_encrypted_rotating_tokens(msb, database_url):
    tenant, profile = str(uuid.uuid4()), str(uuid.uuid4())
    account = f"new.{uuid.uuid4().hex[:6]}@tenant.example"
    proc = start_connect(account, "sync_inbox_live", "send_email", tenant=tenant, profile=profile)
    url = consent(proc, msb)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    shown = json.loads(out)
    params = httpx.URL(url).params
    asked = set(params["scope"].split())
    assert {"Mail.Read", "Mail.Send", "Mail.ReadWrite", "offline_access"} <= asked
    assert not asked & {"Calendars.Read", "Calendars.ReadWrite", "User.Read"}  # nothing the capabilities don't need
    assert params["code_challenge_method"] == "S256" and params["login_hint"] == account
    assert {s["capability"]: s["status"] for s in shown["capability_states"]} == {
        "sync_inbox_live": "ready", "send_email": "ready"}
    with connect(database_url) as conn:
        row = conn.execute("select * from integrations.connections where id = %s", (shown["id"],)).fetchone()
    assert row["provider"] == "microsoft" and row["account_id"] == account and row["profile_id"] is not None
    stored = load_credentials(keyring_from_settings(get_settings()), row)
    assert stored["refresh_token"] and stored["refresh_token"].encode() not in bytes(row["credentials"])
    assert stored["refresh_token"] not in out + err  # never printed


def test_consent_as_another_account_is_refused_and_stores_nothing(msb, database_url):
    ana, ben = (f"{n}.{uuid.uuid4().hex[:8]}@tenant.example" for n in ("ana", "ben"))
    msb.consent_as(ben)
    try:
        proc = start_connect(ana, "sync_inbox_live")
        consent(proc, msb)
        out, err = proc.communicate(timeout=30)
    finally:
        msb.consent_as(None)
    assert proc.returncode == 2, (out, err)
    assert ben in err and "nothing was stored" in err
    with connect(database_url) as conn:
        rows = conn.execute("select * from integrations.connections where account_id in (%s, %s)", (ana, ben)).fetchall()
    assert rows == []


def test_connect_microsoft_requires_a_profile(msb, database_url):
    args = [sys.executable, "-m", "worker.cli.__main__", "connect", "microsoft", "--tenant", str(uuid.uuid4()),
            "--account", "x@tenant.example", "--capability", "sync_inbox_live", "--no-browser"]
    done = subprocess.run(args, capture_output=True, text=True, env=os.environ.copy(), timeout=60)
    assert done.returncode == 2 and "--profile" in done.stderr
