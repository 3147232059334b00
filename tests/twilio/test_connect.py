"""`integrations connect twilio`: the key secret from standard input, checked against the account."""

import json
import os
import subprocess
import sys
import uuid

from worker.connections import load_credentials
from worker.crypto import keyring_from_settings
from worker.db.connect import connect
from worker.settings import get_settings


def run_connect(account: str, key_sid: str, secret: str, *capabilities: str, tenant: str | None = None,
                extra=()) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "worker.cli.__main__", "connect", "twilio", "--tenant", tenant or str(uuid.uuid4()),
            "--account", account, "--api-key", key_sid, "--json", *extra]
    for capability in capabilities or ("sync_sms_live",):
        args += ["--capability", capability]
    return subprocess.run(args, input=secret + "\n", capture_output=True, text=True, env=os.environ.copy(), timeout=60)


def rows_of(url: str, tenant: str) -> list[dict]:
    """The tenant's connections (the sandbox's seeded SIDs repeat across tests: tenants do not)."""
    with connect(url) as conn:
        return conn.execute("select * from integrations.connections where tenant_id = %s", (tenant,)).fetchall()


def test_a_good_secret_is_checked_against_the_account_and_stored_encrypted(tsb, twilio_account, database_url):
    a, tenant = twilio_account, str(uuid.uuid4())
    done = run_connect(a["account_sid"], a["key_sid"], a["key_secret"], "sync_sms_live", "sync_calls_live", "send_sms",
                       tenant=tenant)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["provider"] == "twilio" and shown["account_id"] == a["account_sid"] and shown["profile_id"] is None
    assert shown["status"] == "active" and shown["granted_scopes"] == ["api_key"]
    assert {s["capability"]: s["status"] for s in shown["capability_states"]} == {
        "sync_sms_live": "ready", "sync_calls_live": "ready", "send_sms": "ready"}
    [row] = rows_of(database_url, tenant)
    stored = load_credentials(keyring_from_settings(get_settings()), row)
    assert stored == {"account_sid": a["account_sid"], "api_key": a["key_sid"], "api_secret": a["key_secret"]}
    assert a["key_secret"].encode() not in bytes(row["credentials"])
    assert a["key_secret"] not in done.stdout + done.stderr  # never printed
    # checked on what the capabilities read (a Standard key may not read the Account resource)
    checks = tsb.requests(method="GET")
    assert [(c["method_id"], c["query"]["PageSize"], c["status"]) for c in checks] == [
        ("messages.list", ["1"], 200), ("calls.list", ["1"], 200)]
    assert tsb.count_requests(method_id="accounts.fetch") == 0


def test_a_wrong_secret_exits_2_and_stores_nothing(tsb, twilio_account, database_url):
    a, tenant = twilio_account, str(uuid.uuid4())
    wrong = "not-" + a["key_secret"]
    done = run_connect(a["account_sid"], a["key_sid"], wrong, tenant=tenant)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "refused" in done.stderr and "nothing was stored" in done.stderr
    assert wrong not in done.stdout + done.stderr and a["key_secret"] not in done.stdout + done.stderr
    assert rows_of(database_url, tenant) == []
    assert tsb.count_requests(method_id="messages.list", status=401) == 1


def test_an_unknown_account_exits_2_and_stores_nothing(tsb, twilio_account, database_url):
    unknown, tenant = "AC" + uuid.uuid4().hex, str(uuid.uuid4())
    done = run_connect(unknown, twilio_account["key_sid"], twilio_account["key_secret"], tenant=tenant)
    assert done.returncode == 2 and rows_of(database_url, tenant) == []


def test_a_key_that_may_not_read_calls_is_refused_for_the_calls_sync(tsb, twilio_account, database_url):
    a, tenant = twilio_account, str(uuid.uuid4())
    tsb.add_fault(r"/Calls\.json$", status=403, count=None, probability=1.0)  # a restricted key without calls
    done = run_connect(a["account_sid"], a["key_sid"], a["key_secret"], "sync_sms_live", "sync_calls_live",
                       tenant=tenant)
    assert done.returncode == 2 and "may not read Calls" in done.stderr
    assert rows_of(database_url, tenant) == []
    assert run_connect(a["account_sid"], a["key_sid"], a["key_secret"], "sync_sms_live", tenant=tenant).returncode == 0


def test_connecting_the_same_account_again_stores_the_new_key_on_the_same_connection(tsb, twilio_account,
                                                                                      database_url):
    a, tenant = twilio_account, str(uuid.uuid4())
    assert run_connect(a["account_sid"], a["key_sid"], a["key_secret"], tenant=tenant).returncode == 0
    newer = tsb.create_api_key(a["account_sid"])
    tsb.revoke_api_key(a["account_sid"], a["key_sid"])
    with connect(database_url) as conn:  # the old key was refused meanwhile
        conn.execute("update integrations.connections set status = 'needs_reauth' where tenant_id = %s", (tenant,))
        conn.commit()
    done = run_connect(a["account_sid"], newer["sid"], newer["secret"], "sync_calls_live", tenant=tenant)
    assert done.returncode == 0, done.stderr
    [row] = rows_of(database_url, tenant)
    assert row["status"] == "active" and set(row["capabilities"]) == {"sync_sms_live", "sync_calls_live"}
    assert load_credentials(keyring_from_settings(get_settings()), row)["api_key"] == newer["sid"]


def test_twilio_refuses_a_profile_and_a_malformed_key(tsb, twilio_account, database_url):
    a, tenant = twilio_account, str(uuid.uuid4())
    with_profile = run_connect(a["account_sid"], a["key_sid"], a["key_secret"], tenant=tenant,
                               extra=("--profile", str(uuid.uuid4())))
    assert with_profile.returncode == 2 and "--profile" in with_profile.stderr
    malformed = run_connect(a["account_sid"], "not-a-key", a["key_secret"], tenant=tenant)
    assert malformed.returncode == 2 and "--api-key" in malformed.stderr
    assert rows_of(database_url, tenant) == [] and tsb.count_requests() == 0
