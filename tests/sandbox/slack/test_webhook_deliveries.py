"""The Slack sandbox delivers an Events API request for each message imported, edited or deleted
to the configured public URL, signed as Slack signs (checked by slack_sdk's SignatureVerifier), and
can send wrong signatures, retries and out-of-order deliveries."""

from __future__ import annotations

import json

import httpx
from slack_sdk.signature import SignatureVerifier

from tests.sandbox.webhook_receiver import receiver  # noqa: F401 - a fixture

TEAM = "TWEBHOOK01"


def events(receiver) -> list[dict]:
    return [json.loads(body)["event"] for _, _, body in receiver.seen]


def test_nothing_is_delivered_until_a_public_url_is_set(slack_sandbox, receiver):
    slack_sandbox.import_message(TEAM, "C0WEB", {"type": "message", "user": "U1", "text": "quiet"})
    assert receiver.seen == []


def test_imported_edited_and_deleted_messages_are_delivered_signed(slack_sandbox, receiver):
    sb = slack_sandbox
    sb.set_public_url(receiver.url)
    ts = sb.import_message(TEAM, "C0WEB", {"type": "message", "user": "U1", "text": "hello"})["ts"]
    sb.edit_message(TEAM, "C0WEB", ts, "hello again")
    sb.delete_message(TEAM, "C0WEB", ts)
    verifier = SignatureVerifier(sb.signing_secret)
    assert [path for path, _, _ in receiver.seen] == ["/webhooks/slack/events"] * 3
    assert all(verifier.is_valid_request(body, headers) for _, headers, body in receiver.seen)
    created, changed, deleted = events(receiver)
    assert created["text"] == "hello" and created["ts"] == ts and created["channel"] == "C0WEB"
    assert changed["subtype"] == "message_changed" and changed["message"]["text"] == "hello again"
    assert deleted["subtype"] == "message_deleted" and deleted["deleted_ts"] == ts
    assert len({json.loads(body)["event_id"] for _, _, body in receiver.seen}) == 3
    assert [d.status for d in sb.webhooks.delivered] == [200, 200, 200]


def test_bad_signatures_retries_and_out_of_order_deliveries(slack_sandbox, receiver):
    sb = slack_sandbox
    sb.set_public_url(receiver.url)
    verifier = SignatureVerifier(sb.signing_secret)
    sb.webhooks.misbehave(bad_signature=True)
    sb.import_message(TEAM, "C0WEB", {"type": "message", "user": "U1", "text": "forged"})
    _, headers, body = receiver.seen[-1]
    assert not verifier.is_valid_request(body, headers)

    sb.webhooks.misbehave(duplicates=2)
    sb.import_message(TEAM, "C0WEB", {"type": "message", "user": "U1", "text": "again"})
    retries = receiver.seen[-3:]
    assert len({body for _, _, body in retries}) == 1  # the same delivery (one event_id) three times
    assert [h.get("x-slack-retry-num") for _, h, _ in retries] == [None, "1", "2"]
    assert all(verifier.is_valid_request(body, headers) for _, headers, body in retries)

    sb.webhooks.misbehave()
    sb.webhooks.hold()
    for text in ("first", "second", "third"):
        sb.import_message(TEAM, "C0WEB", {"type": "message", "user": "U1", "text": text})
    before = len(receiver.seen)
    sb.webhooks.release(reverse=True)
    assert [e["text"] for e in events(receiver)[before:]] == ["third", "second", "first"]


def test_the_admin_api_configures_deliveries(slack_sandbox, receiver):
    sb = slack_sandbox
    answer = httpx.put(sb.base_url + "/_sandbox/slack/webhooks", json={"public_url": receiver.url, "hold": True})
    assert answer.status_code == 200 and answer.json()["holding"] is True
    sb.import_message(TEAM, "C0WEB", {"type": "message", "user": "U1", "text": "held"})
    assert receiver.seen == []
    released = httpx.post(sb.base_url + "/_sandbox/slack/webhooks/release", json={}).json()["released"]
    assert [r["status"] for r in released] == [200] and events(receiver)[0]["text"] == "held"
    assert httpx.put(sb.base_url + "/_sandbox/slack/webhooks", json={"color": "red"}).status_code == 400


def test_sandbox_serve_public_url_makes_slack_twilio_and_quickbooks_deliver(monkeypatch, receiver):
    from click.testing import CliRunner

    from sandbox.cli import sandbox as sandbox_group

    output: list[str] = []
    seen = {}

    def probe():  # instead of serving forever: change each sandbox over its admin API while it runs
        env = dict(line.split("=", 1) for line in output if "=" in line)
        seen["env"] = env
        httpx.post(env["INTEGRATIONS_SLACK_BASE_URL"] + "/_sandbox/slack/teams/TCLI/channels/C1/messages",
                   json={"type": "message", "user": "U1", "text": "hi"})
        twilio = env["INTEGRATIONS_TWILIO_BASE_URL"] + "/_sandbox/twilio/accounts"
        account = httpx.post(twilio, json={}).json()["account_sid"]
        httpx.post(f"{twilio}/{account}/messages", json={"body": "yo", "direction": "inbound",
                                                         "from": "+14155550123", "to": "+14155550100"})
        httpx.post(env["INTEGRATIONS_QUICKBOOKS_BASE_URL"] + "/_sandbox/quickbooks/companies/4620816365/customer",
                   json={"DisplayName": "Acme"})

    monkeypatch.setattr("sandbox.core.cli.click.echo", lambda line="": output.append(str(line)))
    monkeypatch.setattr("sandbox.core.cli.wait_forever", probe)
    result = CliRunner().invoke(sandbox_group, ["serve", "--port", "0", "--print-env", "--quota", "0",
                                                "--public-url", receiver.url])
    assert result.exit_code == 0, result.output
    assert seen["env"]["INTEGRATIONS_PUBLIC_URL"] == receiver.url
    assert [path for path, _, _ in receiver.seen] == ["/webhooks/slack/events", "/webhooks/twilio",
                                                     "/webhooks/quickbooks"]
