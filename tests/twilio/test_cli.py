"""`integrations status` and `integrations reconcile` for a Twilio connection."""

import asyncio
import json
import os
import subprocess
import sys

import pytest

from tests.twilio.conftest import ago

pytestmark = pytest.mark.asyncio


async def cli(*args: str) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "worker.cli.__main__", *args],
                                   capture_output=True, text=True, env=os.environ.copy(), timeout=120)


async def test_status_shows_each_twilio_capability_and_the_remedy_of_a_revoked_key(twilio, tsb):
    account = twilio()
    account.text("hi", sent=ago(tsb, minutes=3))
    account.call(start=ago(tsb, minutes=3))
    await account.run_live()
    await account.run_live("sync_calls_live")
    shown = await cli("status", "--connection", str(account.id))
    assert shown.returncode == 0, shown.stderr
    assert f"twilio {account.sid}" in shown.stdout
    lines = {line.split()[0]: line for line in shown.stdout.splitlines() if line.startswith("  sync_")}
    assert "ok" in lines["sync_sms_live"] and "staged 1" in lines["sync_sms_live"]
    assert "ok" in lines["sync_calls_live"] and "staged 1" in lines["sync_calls_live"]

    tsb.revoke_api_key(account.sid, account.key["sid"])
    await account.run_live()
    shown = await cli("status", "--connection", str(account.id))
    assert f"twilio {account.sid}" in shown.stdout and "needs_reauth" in shown.stdout
    assert "--api-key" in shown.stdout and "integrations connect twilio" in shown.stdout
    as_json = json.loads((await cli("status", "--connection", str(account.id), "--json")).stdout)
    sms = next(c for c in as_json[0]["capabilities"] if c["capability"] == "sync_sms_live")
    assert sms["status"] == "needs_reauth" and "API key" in sms["last_error"]


async def test_reconcile_names_a_deleted_message_exits_1_and_repair_settles_it(twilio, tsb):
    account = twilio()
    gone = account.text("to be deleted", sent=ago(tsb, minutes=3))
    account.text("kept", sent=ago(tsb, minutes=2))
    await account.run_live()
    tsb.delete_message(account.sid, gone["sid"])
    found = await cli("reconcile", "--connection", str(account.id), "--capability", "sync_sms_live")
    assert found.returncode == 1
    assert "sync_sms_live: provider 1, staged 2" in found.stdout and f"extra: {gone['sid']}" in found.stdout
    repaired = await cli("reconcile", "--connection", str(account.id), "--repair")
    assert repaired.returncode == 0 and "repaired 1" in repaired.stdout and "no differences" in repaired.stdout
    settled = await cli("reconcile", "--connection", str(account.id))
    assert settled.returncode == 0 and "no differences" in settled.stdout
    assert "sync_calls_live" in settled.stdout  # every enabled live capability
    assert account.heads()[gone["sid"]]["is_deleted"]
