"""Rate limits, a revoked key, and one capability failing while the others go on."""

import asyncio

import pytest

from tests.twilio.conftest import ago
from worker.connections import store_credentials
from worker.crypto import keyring_from_settings
from worker.db.connect import connect
from worker.settings import get_settings
from worker.status import collect_status

pytestmark = pytest.mark.asyncio


def failed_jobs(url: str) -> int:
    with connect(url) as conn:
        return conn.execute("select count(*) as n from procrastinate_jobs where status = 'failed'").fetchone()["n"]


async def test_429_makes_the_sync_wait_retry_after_and_never_fail(twilio, tsb, monkeypatch):
    monkeypatch.setenv("INTEGRATIONS_TWILIO_REQUESTS_PER_SECOND", "0")  # no pacing: the sandbox must refuse
    monkeypatch.setenv("INTEGRATIONS_TWILIO_PAGE_SIZE", "5")
    account = twilio()
    sent = [account.text(f"m{n}", sent=ago(tsb, minutes=n)) for n in range(30)]
    tsb.set_rate(requests_per_second=2)
    failed_before = failed_jobs(account.url)
    await account.run_live()
    refused = tsb.requests(method_id="messages.list", status=429)
    assert refused, "the sandbox never refused: the test proves nothing"
    assert set(account.heads()) == {m["sid"] for m in sent}
    state = account.state()
    assert state["status"] == "ok" and state["consecutive_failures"] == 0 and state["last_error"] is None
    assert failed_jobs(account.url) == failed_before


async def test_a_revoked_key_marks_the_connection_needs_reauth_while_the_tenants_other_account_goes_on(twilio, tsb):
    first = twilio()
    second = twilio(tenant_id=first.tenant_id)
    first.text("a", sent=ago(tsb, minutes=5))
    second.text("b", sent=ago(tsb, minutes=5))
    await first.run_live()
    await second.run_live()

    tsb.revoke_api_key(first.sid, first.key["sid"])
    tsb.advance(60)
    first.text("after the revocation")
    arrived = second.text("still arriving")
    await first.run_live()
    calls_before = tsb.count_requests(user=first.sid)
    await first.run_live("sync_calls_live")
    await second.run_live()

    row = first.row()
    assert row["status"] == "needs_reauth" and "API key" in row["status_reason"]
    assert first.state()["status"] == "needs_reauth" and first.state("sync_calls_live")["status"] == "needs_reauth"
    assert tsb.count_requests(user=first.sid) == calls_before  # a connection needing reauth makes no call
    assert second.row()["status"] == "active" and second.state()["status"] == "ok"
    assert arrived["sid"] in second.heads()
    with connect(first.url) as conn:
        [entry] = collect_status(conn, first.id)
    shown = {c["capability"]: c for c in entry["capabilities"]}
    assert entry["status"] == "needs_reauth"
    assert "--api-key" in shown["sync_sms_live"]["remedy"] and "reconnect" in shown["sync_sms_live"]["remedy"]
    assert "revoked" in shown["sync_sms_live"]["last_error"] or "API key" in shown["sync_sms_live"]["last_error"]


async def test_a_key_replaced_by_a_reconnect_during_a_run_is_adopted_not_marked(twilio, tsb, monkeypatch):
    monkeypatch.setenv("INTEGRATIONS_TWILIO_PAGE_SIZE", "2")
    account = twilio()
    for n in range(5):
        account.text(f"m{n}", sent=ago(tsb, minutes=n))
    held = tsb.add_fault(r"/Messages\.json$", kind="hold")  # the first page, authenticated with the old key
    run = asyncio.create_task(account.run_live())
    assert await asyncio.to_thread(tsb.wait_held, held["id"], 1, 30)
    new_key = tsb.create_api_key(account.sid)  # the operator reconnects with a new key ...
    with connect(account.url) as conn:
        store_credentials(conn, keyring_from_settings(get_settings()), account.id,
                          {"account_sid": account.sid, "api_key": new_key["sid"], "api_secret": new_key["secret"]})
        conn.commit()
    tsb.revoke_api_key(account.sid, account.key["sid"])  # ... and revokes the old one
    tsb.release(held["id"])
    await run
    assert account.row()["status"] == "active" and account.state()["status"] == "ok"
    assert len(account.heads()) == 5
    assert tsb.count_requests(status=401) == 1


async def test_a_failing_capability_never_stops_the_other(twilio, tsb):
    account = twilio()
    text = account.text("fine", sent=ago(tsb, minutes=1))
    tsb.add_fault(r"/Calls\.json$", status=400, count=None, probability=1.0)
    await account.run_live("sync_calls_live")
    await account.run_live("sync_sms_live")
    calls, sms = account.state("sync_calls_live"), account.state("sync_sms_live")
    assert calls["status"] == "failing" and calls["consecutive_failures"] == 1 and "400" in calls["last_error"]
    assert sms["status"] == "ok" and text["sid"] in account.heads()
    assert account.row()["status"] == "active"
