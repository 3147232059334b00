"""A worker SIGKILLed while Twilio holds the message create never sends the text twice."""

import pytest

from tests.twilio.conftest import TwilioAccount, drain
from tests.twilio.test_send import CREATE, outbound, posts
from worker.api import send_sms
from worker.settings import get_settings

pytestmark = pytest.mark.asyncio


async def test_worker_killed_while_twilio_holds_the_create_never_sends_twice(tsb, make_database, monkeypatch, tmp_path):
    from tests.fixtures.killable import KillableWorker, doing_jobs, recover, wait_for

    url = make_database.create(prefix="twkill")  # the worker subprocess takes every job it finds
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", url)
    get_settings.cache_clear()
    account = TwilioAccount(tsb, url, {"send_sms": {"from_number": "+14155550100"}})
    held = tsb.add_fault(CREATE, method="POST", kind="hold")
    result = await send_sms(url, account.id, to="+14155550123", body="Killed mid-send")
    worker = KillableWorker(url, tmp_path / "worker.log")
    try:
        assert tsb.wait_held(held["id"], timeout=60), worker.output()  # the request is at Twilio
        [job] = doing_jobs(url)
        assert job["id"] == result["job_id"]
        worker.sigkill()
    finally:
        worker.stop()
        tsb.release(held["id"])  # Twilio creates the message; its answer reaches no one
    assert wait_for(lambda: len(tsb.messages(account.sid)) == 1, timeout=30)
    row = outbound(url, result["outbound_id"])
    assert row["status"] == "sending" and row["attempts"] == 1 and row["provider_id"] is None

    await recover(url, job["id"])
    await drain(url)
    row = outbound(url, result["outbound_id"])
    assert row["status"] == "done" and row["attempts"] == 2
    assert posts(tsb) == 1  # the retry found the text instead of sending it again
    [sent] = tsb.messages(account.sid)
    assert sent["sid"] == row["provider_id"] and sent["body"] == "Killed mid-send"
    assert account.heads()[sent["sid"]]["payload"]["sid"] == sent["sid"]
