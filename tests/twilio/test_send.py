"""send_sms: validated and normalized numbers, exactly once (a retry looks for what an earlier attempt sent)."""

import asyncio
import os
import subprocess
import sys
import uuid

import pytest

from tests.fixtures.killable import wait_for
from tests.twilio.conftest import OURS, ago, drain
from worker.api import send_sms
from worker.db.connect import connect
from worker.errors import BadInput, KeyConflict

pytestmark = pytest.mark.asyncio
CREATE = r"/Messages\.json$"


def outbound(url, outbound_id):
    with connect(url) as conn:
        return conn.execute("select * from integrations.outbound where id = %s", (outbound_id,)).fetchone()


def outbound_rows(url, connection_id) -> list[dict]:
    with connect(url) as conn:
        return conn.execute("select * from integrations.outbound where connection_id = %s", (connection_id,)).fetchall()


def posts(sandbox, status=None) -> int:
    """Message creates the sandbox answered in this test (it is reset per test; every test drains its jobs)."""
    return sandbox.count_requests(method_id="messages.create", status=status)


def make_due(url, job_id) -> None:
    """The queue's retry is due now instead of after its backoff."""
    with connect(url) as conn:
        conn.execute("update procrastinate_jobs set scheduled_at = now() where id = %s", (job_id,))
        conn.commit()


async def test_a_text_goes_out_once_and_is_staged_like_any_message(twilio, tsb):
    account = twilio()
    result = await send_sms(account.url, account.id, to="+1 (415) 555-0123", body="See you at 3",
                            idempotency_key="crm-7")
    again = await send_sms(account.url, account.id, to="+14155550123", body="See you at 3", idempotency_key="crm-7")
    assert again["job_id"] is None and again["outbound_id"] == result["outbound_id"]
    assert result["to"] == "+14155550123" and result["from"] == OURS
    await drain(account.url)
    row = outbound(account.url, result["outbound_id"])
    assert row["status"] == "done" and row["attempts"] == 1 and row["attempt_started_at"] is not None
    [sent] = tsb.messages(account.sid)
    assert sent["sid"] == row["provider_id"] and (sent["to"], sent["from"], sent["body"]) == (
        "+14155550123", OURS, "See you at 3")
    assert posts(tsb) == 1
    staged = account.heads()[sent["sid"]]["payload"]
    assert staged["status"] == "queued" and staged["sid"] == sent["sid"]
    assert account.versions(sent["sid"])[0]["capability"] == "send_sms"


async def test_a_retry_after_twilio_accepted_the_text_finds_it_instead_of_sending_again(twilio, tsb, monkeypatch):
    monkeypatch.setenv("INTEGRATIONS_TWILIO_HTTP_TIMEOUT_SECONDS", "1")
    account = twilio()
    # Twilio creates the message, but only after our client gave up waiting for the answer
    tsb.add_fault(CREATE, method="POST", kind="delay", delay_seconds=2.5, count=1)
    result = await send_sms(account.url, account.id, to="+14155550123", body="Once only")
    await drain(account.url)
    row = outbound(account.url, result["outbound_id"])
    assert row["status"] == "sending" and row["attempts"] == 1 and "not retried" in row["last_error"]
    assert await asyncio.to_thread(wait_for, lambda: len(tsb.messages(account.sid)) == 1, 30)
    make_due(account.url, result["job_id"])
    await drain(account.url)
    row = outbound(account.url, result["outbound_id"])
    assert row["status"] == "done" and row["attempts"] == 2
    assert posts(tsb) == 1  # found by the lookup, not sent again
    assert [m["sid"] for m in tsb.messages(account.sid)] == [row["provider_id"]]


async def test_through_a_messaging_service_the_retry_finds_the_text_by_its_service(twilio, tsb, monkeypatch):
    monkeypatch.setenv("INTEGRATIONS_TWILIO_HTTP_TIMEOUT_SECONDS", "1")
    service = "MG" + "0123456789abcdef" * 2
    account = twilio({"send_sms": {"messaging_service_sid": service}})
    tsb.add_fault(CREATE, method="POST", kind="delay", delay_seconds=2.5, count=1)
    result = await send_sms(account.url, account.id, to="+14155550123", body="From the service")
    assert result["from"] == service
    await drain(account.url)
    assert await asyncio.to_thread(wait_for, lambda: len(tsb.messages(account.sid)) == 1, 30)
    make_due(account.url, result["job_id"])
    await drain(account.url)
    row = outbound(account.url, result["outbound_id"])
    assert row["status"] == "done" and row["attempts"] == 2 and posts(tsb) == 1
    [sent] = tsb.messages(account.sid)
    assert sent["sid"] == row["provider_id"] and sent["messaging_service_sid"] == service


async def test_a_retry_never_claims_the_text_another_outbound_row_sent(twilio, tsb):
    account = twilio()
    first = await send_sms(account.url, account.id, to="+14155550123", body="Same words")
    await drain(account.url)
    second = await send_sms(account.url, account.id, to="+14155550123", body="Same words")
    with connect(account.url) as conn:  # its first attempt began, then died before reaching Twilio
        conn.execute("update integrations.outbound set attempts = 1, status = 'sending',"
                     " attempt_started_at = now() - interval '30 seconds', provider_started_at = %s"
                     " where id = %s", (ago(tsb, seconds=30), second["outbound_id"]))
        conn.commit()
    await drain(account.url)
    one, two = outbound(account.url, first["outbound_id"]), outbound(account.url, second["outbound_id"])
    assert one["status"] == two["status"] == "done" and two["attempts"] == 2
    assert one["provider_id"] != two["provider_id"]
    assert posts(tsb) == 2 and len(tsb.messages(account.sid)) == 2


async def test_numbers_are_normalized_in_the_default_region(twilio, tsb, monkeypatch):
    monkeypatch.setenv("INTEGRATIONS_DEFAULT_PHONE_REGION", "GB")
    account = twilio()
    result = await send_sms(account.url, account.id, to="020 7946 0123", body="Cheers")
    assert result["to"] == "+442079460123"
    await drain(account.url)
    assert [m["to"] for m in tsb.messages(account.sid)] == ["+442079460123"]


@pytest.mark.parametrize("to, sender, problem", [
    ("12", None, "--to"), ("+1415555012", None, "--to"), ("call me", None, "--to"),
    ("+14155550123", "+999", "--from"), ("+14155550123", "+14155550123", "same number"),
])
async def test_a_bad_number_is_bad_input_and_nothing_is_recorded_or_sent(twilio, tsb, to, sender, problem):
    account = twilio()
    with pytest.raises(BadInput, match=problem):
        await send_sms(account.url, account.id, to=to, body="x", from_=sender)
    assert outbound_rows(account.url, account.id) == [] and posts(tsb) == 0


async def test_without_a_sender_the_send_is_refused_before_anything_is_recorded(twilio, tsb):
    account = twilio({"send_sms": None})
    with pytest.raises(BadInput, match="no sender"):
        await send_sms(account.url, account.id, to="+14155550123", body="x")
    assert outbound_rows(account.url, account.id) == []


async def test_a_text_twilio_refuses_fails_with_its_reason_and_is_not_retried(twilio, tsb):
    account = twilio()
    result = await send_sms(account.url, account.id, to="+15005550001", body="x")  # the sandbox's invalid To
    await drain(account.url)
    row = outbound(account.url, result["outbound_id"])
    assert row["status"] == "failed" and "21211" in row["last_error"] and posts(tsb) == 1


async def test_a_text_waiting_for_a_new_key_is_sent_once_after_the_reconnect(twilio, tsb):
    from worker.crypto import keyring_from_settings
    from worker.providers.twilio.auth.connect import connect_twilio
    from worker.settings import get_settings

    account = twilio()
    tsb.revoke_api_key(account.sid, account.key["sid"])
    result = await send_sms(account.url, account.id, to="+14155550123", body="after the reconnect")
    await drain(account.url)
    row = outbound(account.url, result["outbound_id"])
    assert row["status"] == "waiting_reauth" and account.row()["status"] == "needs_reauth"
    newer = tsb.create_api_key(account.sid)
    await asyncio.to_thread(connect_twilio, account.url, get_settings(), keyring_from_settings(get_settings()),
                            tenant_id=account.tenant_id, profile_id=None, account=account.sid,
                            capabilities={}, api_key=newer["sid"], api_secret=newer["secret"])
    await drain(account.url)
    row = outbound(account.url, result["outbound_id"])
    assert row["status"] == "done" and account.row()["status"] == "active"
    # the revoked key is refused once, before any create (the clock read that precedes the first attempt)
    assert tsb.count_requests(status=401) == 1 and posts(tsb, status=401) == 0 and posts(tsb, status=201) == 1
    assert [m["sid"] for m in tsb.messages(account.sid)] == [row["provider_id"]]


async def test_the_cli_exits_2_on_a_bad_number_and_sends_nothing(tsb, twilio, database_url):
    account = twilio()
    args = [sys.executable, "-m", "worker.cli.__main__", "sms", "send", "--connection", str(account.id),
            "--to", "555", "--body", "hello"]
    done = await asyncio.to_thread(subprocess.run, args, capture_output=True, text=True, env=os.environ.copy(),
                                   timeout=60)
    assert done.returncode == 2 and "--to" in done.stderr and "not a valid phone number" in done.stderr
    assert outbound_rows(account.url, account.id) == [] and posts(tsb) == 0
    good = await asyncio.to_thread(subprocess.run, args[:-4] + ["--to", "+14155550123", "--body", "hello", "--json"],
                                   capture_output=True, text=True, env=os.environ.copy(), timeout=60)
    assert good.returncode == 0, good.stderr
    assert '"to": "+14155550123"' in good.stdout and len(outbound_rows(account.url, account.id)) == 1
    await drain(account.url)
    assert [m["body"] for m in tsb.messages(account.sid)] == ["hello"]


async def test_a_retry_that_takes_an_identical_sends_fresh_text_leaves_that_send_to_send_its_own(twilio, tsb):
    """Two identical texts: the first's attempt died before Twilio; the second's text is at Twilio but
    not yet recorded when the first's retry finds it. The retry may keep it, but then the second may
    not record it too: two requests, two texts, two SIDs (never two rows on one text)."""
    account = twilio()
    tsb.add_fault(CREATE, method="POST", kind="reset", count=1)  # the connection drops before Twilio reads it
    first = await send_sms(account.url, account.id, to="+14155550123", body="Same words", idempotency_key="a")
    await drain(account.url)
    assert outbound(account.url, first["outbound_id"])["status"] == "sending" and tsb.messages(account.sid) == []

    held = tsb.add_fault(CREATE, method="POST", kind="hold_answer", count=1)  # created; the answer waits
    second = await send_sms(account.url, account.id, to="+14155550123", body="Same words", idempotency_key="b")
    sending = asyncio.create_task(drain(account.url))
    try:
        assert await asyncio.to_thread(tsb.wait_held, held["id"], 1, 60)
        [fresh] = tsb.messages(account.sid)
        make_due(account.url, first["job_id"])
        await drain(account.url)
        assert await asyncio.to_thread(
            wait_for, lambda: outbound(account.url, first["outbound_id"])["status"] == "done", 60)
        assert outbound(account.url, first["outbound_id"])["provider_id"] == fresh["sid"]
    finally:
        tsb.release(held["id"])
        await sending
    one, two = outbound(account.url, first["outbound_id"]), outbound(account.url, second["outbound_id"])
    assert one["status"] == two["status"] == "done"
    assert one["provider_id"] != two["provider_id"]
    assert {m["sid"] for m in tsb.messages(account.sid)} == {one["provider_id"], two["provider_id"]}
    assert posts(tsb, status=201) == 2


@pytest.mark.parametrize("twilio_ahead_minutes", [0, 10])
async def test_a_retry_never_takes_an_identical_text_sent_before_its_first_attempt(twilio, tsb,
                                                                                   twilio_ahead_minutes):
    """Yesterday's reminder and the same words sent from the console a minute before are not what the
    first attempt sent, whatever our clock says against Twilio's: the retry sends its own."""
    tsb.world.clock.advance(twilio_ahead_minutes * 60)
    account = twilio()
    yesterday = account.text("Weekly reminder", sent=ago(tsb, days=1))
    console = account.text("Weekly reminder", sent=ago(tsb, minutes=1))
    tsb.add_fault(CREATE, method="POST", kind="reset", count=1)  # the first attempt never reaches Twilio
    result = await send_sms(account.url, account.id, to="+14155550123", body="Weekly reminder")
    await drain(account.url)
    row = outbound(account.url, result["outbound_id"])
    assert row["status"] == "sending" and row["attempts"] == 1 and row["provider_started_at"] is not None
    make_due(account.url, result["job_id"])
    await drain(account.url)
    row = outbound(account.url, result["outbound_id"])
    assert row["status"] == "done" and row["attempts"] == 2
    assert row["provider_id"] not in (yesterday["sid"], console["sid"])
    assert posts(tsb, status=201) == 1 and len(tsb.messages(account.sid)) == 3


async def test_a_key_reused_for_another_text_is_refused_and_never_answered_done(twilio, tsb):
    account = twilio()
    first = await send_sms(account.url, account.id, to="+14155550123", body="Your order shipped", idempotency_key="k9")
    await drain(account.url)
    with pytest.raises(KeyConflict, match="'k9' was already used for another send sms request"):
        await send_sms(account.url, account.id, to="+14155550999", body="Your invoice", idempotency_key="k9")
    args = [sys.executable, "-m", "worker.cli.__main__", "sms", "send", "--connection", str(account.id),
            "--to", "+14155550999", "--body", "Your invoice", "--idempotency-key", "k9"]
    done = await asyncio.to_thread(subprocess.run, args, capture_output=True, text=True, env=os.environ.copy(),
                                   timeout=60)
    assert done.returncode == 2 and "already used" in done.stderr and "new key" in done.stderr
    assert [r["id"] for r in outbound_rows(account.url, account.id)] == [uuid.UUID(first["outbound_id"])]
    await drain(account.url)
    assert [m["body"] for m in tsb.messages(account.sid)] == ["Your order shipped"]
    same = await send_sms(account.url, account.id, to="+1 415 555 0123", body="Your order shipped",
                          idempotency_key="k9")  # the same request, written otherwise: the first row
    assert same["outbound_id"] == first["outbound_id"] and same["job_id"] is None and same["status"] == "done"


async def test_a_key_of_a_row_recorded_before_fingerprints_still_returns_that_row(twilio, tsb):
    account = twilio()
    first = await send_sms(account.url, account.id, to="+14155550123", body="Legacy", idempotency_key="old-1")
    with connect(account.url) as conn:  # as sql/013 leaves rows recorded before it
        conn.execute("update integrations.outbound set request_fingerprint = null where id = %s",
                     (first["outbound_id"],))
        conn.commit()
    again = await send_sms(account.url, account.id, to="+14155550123", body="Legacy, reworded",
                           idempotency_key="old-1")
    assert again["outbound_id"] == first["outbound_id"] and again["job_id"] is None
    await drain(account.url)
