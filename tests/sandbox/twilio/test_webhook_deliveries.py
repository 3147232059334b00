"""The Twilio sandbox POSTs an incoming-message webhook for an inbound text, a status callback for
any other text and for a status change, and a call status callback, signed with the account's
auth token (checked by twilio's own RequestValidator); wrong signatures, duplicates, out of order."""

from __future__ import annotations

from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

from tests.sandbox.webhook_receiver import receiver  # noqa: F401 - a fixture


def params(receiver) -> list[dict]:
    return [dict(parse_qsl(body.decode())) for _, _, body in receiver.seen]


def valid(sb, account: str, receiver, index: int) -> bool:
    path, headers, body = receiver.seen[index]
    return RequestValidator(sb.auth_token(account)).validate(receiver.url + path, dict(parse_qsl(body.decode())),
                                                           headers["x-twilio-signature"])


def test_texts_status_changes_and_calls_are_delivered_signed(twilio_sandbox, twilio_account, receiver):
    sb, account = twilio_sandbox, twilio_account["account_sid"]
    sb.import_message(account, {"body": "before", "direction": "inbound", "from": "+14155550123", "to": "+14155550100"})
    assert receiver.seen == []  # no public URL yet
    sb.set_public_url(receiver.url)
    inbound = sb.import_message(account, {"body": "hi", "direction": "inbound", "from": "+14155550123",
                                          "to": "+14155550100", "status": "received"})
    outbound = sb.import_message(account, {"body": "yo", "direction": "outbound-api", "from": "+14155550100",
                                           "to": "+14155550123", "status": "sent"})
    sb.set_message_status(account, outbound["sid"], "undelivered", 30003)
    call = sb.import_call(account, {"from": "+14155550123", "to": "+14155550100", "status": "completed",
                                    "direction": "inbound"})
    assert [path for path, _, _ in receiver.seen] == ["/webhooks/twilio"] * 4
    assert all(valid(sb, account, receiver, i) for i in range(4))
    incoming, sent, undelivered, called = params(receiver)
    assert incoming["MessageSid"] == inbound["sid"] and incoming["Body"] == "hi" and incoming["AccountSid"] == account
    assert sent["MessageStatus"] == "sent" and "Body" not in sent
    assert undelivered["MessageStatus"] == "undelivered" and undelivered["ErrorCode"] == "30003"
    assert called["CallSid"] == call["sid"] and called["CallStatus"] == "completed"


def test_bad_signatures_duplicates_and_out_of_order(twilio_sandbox, twilio_account, receiver):
    sb, account = twilio_sandbox, twilio_account["account_sid"]
    sb.set_public_url(receiver.url)
    sb.webhooks.misbehave(bad_signature=True)
    sb.import_message(account, {"body": "forged", "direction": "inbound", "from": "+14155550123", "to": "+14155550100"})
    assert not valid(sb, account, receiver, -1)
    sb.webhooks.misbehave(duplicates=1)
    sb.import_message(account, {"body": "twice", "direction": "inbound", "from": "+14155550123", "to": "+14155550100"})
    assert receiver.seen[-1][2] == receiver.seen[-2][2] and valid(sb, account, receiver, -1)
    sb.webhooks.misbehave()
    sb.webhooks.hold()
    for body in ("first", "second"):
        sb.import_message(account, {"body": body, "direction": "inbound", "from": "+14155550123", "to": "+14155550100"})
    before = len(receiver.seen)
    sb.webhooks.release(reverse=True)
    assert [p["Body"] for p in params(receiver)[before:]] == ["second", "first"]
