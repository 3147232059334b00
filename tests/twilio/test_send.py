"""send_sms: validated and normalized numbers, exactly once (a retry looks for what an earlier attempt sent)."""

import asyncio
import os
import subprocess
import sys

import pytest

from tests.fixtures.killable import wait_for
from tests.twilio.conftest import OURS, drain
from worker.api import send_sms
from worker.db.connect import connect
from worker.errors import BadInput

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
                     " attempt_started_at = now() - interval '30 seconds' where id = %s", (second["outbound_id"],))
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
    assert posts(tsb, status=401) == 1 and posts(tsb, status=201) == 1
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
