"""The official twilio-python client against the sandbox: what the provider does with it (list
through ``next_page_uri``, fetch, send, delete, calls) and the errors it turns into exceptions."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException

US = "+14155550100"


def import_texts(sb, account_sid: str, count: int) -> list[str]:
    """``count`` delivered texts sent one minute apart in May 2024; their SIDs, newest first."""
    sids = []
    for n in range(count):
        stored = sb.import_message(account_sid, {
            "from": US, "to": f"+1212555{n:04d}", "body": f"text {n}", "direction": "outbound-api",
            "status": "delivered", "date_created": f"2024-05-01T{n // 60:02d}:{n % 60:02d}:00Z",
            "date_sent": f"2024-05-01T{n // 60:02d}:{n % 60:02d}:05Z"})
        sids.append(stored["sid"])
    return sids[::-1]


def test_account_fetch_answers_the_account_the_provider_checks_credentials_with(twilio_client, twilio_account):
    account = twilio_client().api.v2010.accounts(twilio_account["account_sid"]).fetch()
    assert account.sid == twilio_account["account_sid"] and account.status == "active"
    assert account.date_created is not None and account.friendly_name


@pytest.mark.parametrize("page_size", [1000, 7])
def test_list_pages_through_next_page_uri_newest_first(twilio_sandbox, twilio_client, twilio_account, page_size):
    sb = twilio_sandbox
    newest_first = import_texts(sb, twilio_account["account_sid"], 1005 if page_size == 1000 else 20)
    listed = twilio_client().messages.list(page_size=page_size)
    assert [m.sid for m in listed] == newest_first
    pages = sb.requests(method_id="messages.list")
    assert len(pages) == -(-len(newest_first) // page_size)
    assert all(p["status"] == 200 for p in pages)
    last = len(newest_first) - 1
    assert listed[0].date_sent == datetime(2024, 5, 1, last // 60, last % 60, 5, tzinfo=timezone.utc)


def test_fetch_send_and_delete_a_text(twilio_sandbox, twilio_client):
    client = twilio_client()
    sent = client.messages.create(to="+14155550123", from_=US, body="Your table is ready",
                                  status_callback="https://crm.example/hooks/twilio")
    assert sent.sid.startswith("SM") and len(sent.sid) == 34
    assert (sent.status, sent.direction, sent.num_segments, sent.num_media) == ("queued", "outbound-api", "1", "0")
    assert sent.date_sent is None and sent.price is None and sent.error_code is None
    fetched = client.messages(sent.sid).fetch()
    assert (fetched.body, fetched.to, fetched.from_) == ("Your table is ready", "+14155550123", US)
    assert client.messages(sent.sid).delete() is True
    with pytest.raises(TwilioRestException) as missing:
        client.messages(sent.sid).fetch()
    assert (missing.value.status, missing.value.code) == (404, 20404)
    assert twilio_sandbox.messages(client.account_sid) == []


def test_calls_list_with_filters(twilio_sandbox, twilio_client, twilio_account):
    sb = twilio_sandbox
    for n, status in enumerate(["completed", "no-answer", "completed"]):
        sb.import_call(twilio_account["account_sid"], {
            "from": "+14155550199", "to": US, "direction": "inbound", "status": status,
            "start_time": f"2024-06-0{n + 1}T10:00:00Z", "end_time": f"2024-06-0{n + 1}T10:02:30Z"})
    client = twilio_client()
    calls = client.calls.list()
    assert [c.start_time.day for c in calls] == [3, 2, 1]
    assert calls[0].duration == "150" and calls[0].to_formatted == "(415) 555-0100"
    completed = client.calls.list(status="completed", start_time_after=datetime(2024, 6, 2, tzinfo=timezone.utc))
    assert [c.start_time.day for c in completed] == [3]


def test_bad_secret_is_20003(twilio_client, twilio_account):
    with pytest.raises(TwilioRestException) as error:
        twilio_client(key_secret="not-the-secret").api.v2010.accounts(twilio_account["account_sid"]).fetch()
    assert (error.value.status, error.value.code) == (401, 20003)


def test_page_size_over_1000_is_20007_on_the_page_response(twilio_client):
    # twilio-python raises its base TwilioException on a list page that is not 200, with the
    # response (Twilio's JSON error) as its second argument
    with pytest.raises(TwilioException) as error:
        twilio_client().messages.list(page_size=1001)
    response = error.value.args[1]
    assert response.status_code == 400 and json.loads(response.text)["code"] == 20007


def test_invalid_to_is_21211(twilio_client):
    with pytest.raises(TwilioRestException) as error:
        twilio_client().messages.create(to="12345", from_=US, body="hi")
    assert (error.value.status, error.value.code) == (400, 21211)


def test_over_the_rate_limit_is_20429(twilio_sandbox, twilio_client, twilio_account):
    twilio_sandbox.set_rate(requests_per_second=2 / 60, window_seconds=60)  # 2 requests per minute
    client = twilio_client()
    account = client.api.v2010.accounts(twilio_account["account_sid"])
    account.fetch()
    account.fetch()
    with pytest.raises(TwilioRestException) as error:
        account.fetch()
    assert (error.value.status, error.value.code) == (429, 20429)
