"""Issue 31 item 12: Twilio callbacks and QuickBooks legacy notifications carry no time and no delivery
id, so a captured, genuinely signed request could be replayed for ever. The same signed content is
now handled once within a day (its hash is the delivery id), and the requests of one account are
limited to INTEGRATIONS_WEBHOOK_ACCOUNT_REQUESTS_PER_MINUTE (past it: 429, nothing enqueued)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.serve.conftest import Server, free_port, jobs, received
from tests.serve.test_quickbooks_webhooks import LIVE, TASK, legacy
from tests.serve.test_quickbooks_webhooks import company as company  # noqa: F401 - the fixture
from tests.serve.test_quickbooks_webhooks import post as qb_post
from tests.serve.test_twilio_webhooks import CALLS, SMS, new_sid, post, set_secret, signed  # noqa: F401 - the fixture
from tests.serve.test_twilio_webhooks import account as account
from tests.twilio.conftest import TwilioAccount

PER_MINUTE = 5


def status_callback(account, status: str = "delivered", sid: str | None = None) -> dict:
    return {"MessageSid": sid or "SM" + uuid.uuid4().hex, "AccountSid": account.sid, "MessageStatus": status,
            "From": "+14155550100", "To": "+14155550123", "ApiVersion": "2010-04-01"}


def test_a_replayed_twilio_status_callback_changes_nothing_the_second_time(server, account):
    body, headers = signed(server, account, status_callback(account))
    headers["I-Twilio-Idempotency-Token"] = str(uuid.uuid4())
    assert post(server, body, headers).status_code == 200
    assert jobs(account.url, account.id) == [(SMS, "todo")] and received(account.url, account.id) == {"sync_sms_live": 1}
    for token in (headers["I-Twilio-Idempotency-Token"], str(uuid.uuid4())):  # Twilio's retry; a replay
        again = post(server, body, {**headers, "I-Twilio-Idempotency-Token": token})
        assert again.status_code == 200 and "<Response>" in again.text  # answered as Twilio expects
    assert jobs(account.url, account.id) == [(SMS, "todo")] and received(account.url, account.id) == {"sync_sms_live": 1}
    # the next status of the same message is another callback
    assert post(server, *signed(server, account, status_callback(account, "read"))).status_code == 200
    assert received(account.url, account.id) == {"sync_sms_live": 2}


@pytest.mark.asyncio
async def test_a_replayed_quickbooks_legacy_notification_changes_nothing_the_second_time(server, company,  # noqa: F811
                                                                                         quickbooks_sandbox):
    body = legacy(company.realm)
    assert qb_post(server, quickbooks_sandbox, body).status_code == 200
    assert qb_post(server, quickbooks_sandbox, body).status_code == 200
    assert jobs(company.url, company.id) == [(TASK, "todo")]
    assert received(company.url, company.id) == {LIVE: 1}


@pytest.fixture
def limited_server(serve_env, tmp_path):
    running = Server({**serve_env, "INTEGRATIONS_PUBLIC_URL": f"http://127.0.0.1:{free_port()}",
                      "INTEGRATIONS_WEBHOOK_ACCOUNT_REQUESTS_PER_MINUTE": str(PER_MINUTE)}, tmp_path / "serve.log")
    yield running
    running.stop()


def test_a_flood_of_signed_callbacks_from_one_account_is_limited_and_another_account_is_not(
        limited_server, in_env, twilio_sandbox):
    flooder, other = (TwilioAccount(twilio_sandbox, in_env["INTEGRATIONS_DATABASE_URL"], {"sync_sms_live": None,
                                    "sync_calls_live": None}, account_sid=new_sid()) for _ in range(2))
    for acct in (flooder, other):
        assert set_secret(acct, twilio_sandbox.auth_token(acct.sid)).exit_code == 0
    statuses = [httpx.post(limited_server.url + "/webhooks/twilio", timeout=10,
                           content=(signed_ := signed(limited_server, flooder, status_callback(flooder)))[0],
                           headers=signed_[1]).status_code for _ in range(3 * PER_MINUTE)]
    assert statuses[:PER_MINUTE] == [200] * PER_MINUTE
    assert statuses.count(429) >= 2 * PER_MINUTE - 1  # a token comes back every 60/PER_MINUTE s at most
    assert received(flooder.url, flooder.id)["sync_sms_live"] == statuses.count(200)
    call = {"CallSid": "CA" + uuid.uuid4().hex, "AccountSid": other.sid, "CallStatus": "completed"}
    answer = httpx.post(limited_server.url + "/webhooks/twilio", content=(s := signed(limited_server, other, call))[0],
                        headers=s[1], timeout=10)
    assert answer.status_code == 200 and jobs(other.url, other.id) == [(CALLS, "todo")]
