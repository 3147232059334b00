"""Sending a text: Twilio's validation codes, then statuses that move on with the sandbox clock
(queued -> sending -> sent -> delivered, or undelivered/failed with an error code)."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import pytest

US = "+14155550100"
TO = "+14155550123"


def send(http, **fields):
    return http.post("/Messages.json", data=fields)


@pytest.mark.parametrize(("fields", "code"), [
    ({"From": US, "Body": "hi"}, 21604),                                   # To missing
    ({"To": "555-0123", "From": US, "Body": "hi"}, 21211),                  # To not E.164
    ({"To": "+15005550001", "From": US, "Body": "hi"}, 21211),              # Twilio's invalid test number
    ({"To": TO, "Body": "hi"}, 21603),                                     # neither From nor a service
    ({"To": TO, "From": "twilio", "Body": "hi"}, 21212),                    # From malformed
    ({"To": TO, "From": "+15005550007", "Body": "hi"}, 21606),              # From not the account's
    ({"To": TO, "From": US}, 21602),                                       # no Body, no MediaUrl
    ({"To": TO, "From": US, "Body": "x" * 1601}, 21617),                   # too long
])
def test_invalid_sends_answer_400_with_twilios_code_and_store_nothing(twilio_sandbox, twilio_account, http,
                                                                      fields, code):
    answer = send(http, **fields)
    assert answer.status_code == 400
    assert answer.json()["code"] == code and answer.json()["more_info"].endswith(f"/{code}")
    assert twilio_sandbox.messages(twilio_account["account_sid"]) == []


def test_an_account_that_owns_numbers_sends_only_from_them(twilio_sandbox, twilio_account, http):
    twilio_sandbox.add_number(twilio_account["account_sid"], US)
    assert send(http, To=TO, From="+14155550111", Body="hi").json()["code"] == 21606
    assert send(http, To=TO, From=US, Body="hi").status_code == 201


def test_a_sent_text_moves_from_queued_to_delivered_as_the_clock_advances(twilio_sandbox, twilio_account, http):
    sb = twilio_sandbox
    created = send(http, To=TO, From=US, Body="On my way")
    assert created.status_code == 201
    message = created.json()
    sid = message["sid"]
    assert message["status"] == "queued" and message["date_sent"] is None and message["price"] is None
    assert message["uri"] == f"/2010-04-01/Accounts/{twilio_account['account_sid']}/Messages/{sid}.json"

    def status():
        return http.get(f"/Messages/{sid}.json").json()

    assert status()["status"] == "queued"  # the clock stands still in tests
    sb.advance(1)
    assert status()["status"] == "sending"
    sb.advance(1)
    sent = status()
    assert sent["status"] == "sent" and sent["price"] == "-0.00790" and sent["price_unit"] == "USD"
    born = parsedate_to_datetime(message["date_created"])
    assert (parsedate_to_datetime(sent["date_sent"]) - born).total_seconds() == 2
    sb.advance(10)
    delivered = status()
    assert delivered["status"] == "delivered" and delivered["error_code"] is None
    assert (parsedate_to_datetime(delivered["date_updated"]) - born).total_seconds() == 4
    assert sb.messages(twilio_account["account_sid"])[0]["status"] == "delivered"


@pytest.mark.parametrize(("to", "status", "code"), [
    ("+15005550003", "undelivered", 30003), ("+15005550005", "undelivered", 30005),
    ("+15005550006", "undelivered", 30006), ("+15005550008", "failed", 30008)])
def test_designated_numbers_end_undelivered_or_failed_with_their_error(twilio_sandbox, http, to, status, code):
    sid = send(http, To=to, From=US, Body="hello").json()["sid"]
    twilio_sandbox.advance(60)
    final = http.get(f"/Messages/{sid}.json").json()
    assert (final["status"], final["error_code"]) == (status, code) and final["error_message"]
    assert (final["date_sent"] is None) == (status == "failed")


def test_designate_adds_a_number_with_a_chosen_outcome(twilio_sandbox, http):
    twilio_sandbox.designate("+442079460123", "undelivered", 30007)
    sid = send(http, To="+442079460123", From=US, Body="hello").json()["sid"]
    twilio_sandbox.advance(5)
    assert http.get(f"/Messages/{sid}.json").json()["error_code"] == 30007


def test_set_message_status_changes_it_now_and_stops_the_schedule(twilio_sandbox, twilio_account, http):
    sb, account = twilio_sandbox, twilio_account["account_sid"]
    sid = send(http, To=TO, From=US, Body="hello").json()["sid"]
    changed = sb.set_message_status(account, sid, "undelivered", error_code=30005)
    assert changed["status"] == "undelivered" and changed["error_code"] == 30005 and changed["date_sent"]
    sb.advance(60)
    assert http.get(f"/Messages/{sid}.json").json()["status"] == "undelivered"
    with pytest.raises(ValueError):
        sb.set_message_status(account, sid, "lost")


def test_imported_texts_keep_their_status_until_told(twilio_sandbox, twilio_account):
    sb, account = twilio_sandbox, twilio_account["account_sid"]
    stored = sb.import_message(account, {"from": US, "to": TO, "body": "old", "status": "queued"})
    sb.advance(3600)
    assert sb.get_message(account, stored["sid"])["status"] == "queued"


def test_messaging_service_picks_the_sender_and_segments_are_counted(twilio_sandbox, twilio_account, http):
    sb = twilio_sandbox
    accepted = send(http, To=TO, MessagingServiceSid="MG" + "1" * 32, Body="ж" * 71).json()
    assert accepted["status"] == "accepted" and accepted["from"] is None and accepted["num_segments"] == "0"
    sb.advance(0.5)
    queued = http.get(f"/Messages/{accepted['sid']}.json").json()
    assert queued["status"] == "queued" and queued["from"].startswith("+1") and queued["num_segments"] == "2"
    long_gsm = send(http, To=TO, From=US, Body="a" * 161).json()
    assert long_gsm["num_segments"] == "2"
    assert send(http, To=TO, From=US, Body="a" * 160).json()["num_segments"] == "1"


def test_media_and_status_callback_are_recorded(twilio_sandbox, twilio_account, http):
    answer = http.post("/Messages.json", data={"To": TO, "From": US, "StatusCallback": "https://crm.example/cb",
                                               "MediaUrl": ["https://m.example/a.jpg", "https://m.example/b.jpg"]})
    message = answer.json()
    assert answer.status_code == 201 and message["num_media"] == "2" and message["body"] == ""
    assert twilio_sandbox.status_callback(twilio_account["account_sid"], message["sid"]) == "https://crm.example/cb"
    assert "StatusCallback" not in message and "status_callback" not in message


def test_delete_then_fetch_is_404_20404(twilio_sandbox, http):
    sid = send(http, To=TO, From=US, Body="bye").json()["sid"]
    deleted = http.delete(f"/Messages/{sid}.json")
    assert deleted.status_code == 204 and deleted.content == b""
    missing = http.get(f"/Messages/{sid}.json")
    assert missing.status_code == 404 and missing.json()["code"] == 20404
    assert http.delete(f"/Messages/{sid}.json").json()["code"] == 20404
