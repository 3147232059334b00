"""A webhook endpoint whose secret is not configured refuses every request (401), whatever it
carries: a delivery the provider signed with the secret we lack, a request signed with an empty
key (what an HMAC over an unset secret would accept), an unsigned one, Slack's handshake. Nothing
is enqueued or recorded. Served by a second `integrations serve` started without
INTEGRATIONS_QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN and INTEGRATIONS_SLACK_SIGNING_SECRET.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx
import pytest

from tests.quickbooks.conftest import Company
from tests.serve.conftest import Server, free_port, jobs, received
from tests.slack.conftest import Workspace

UNSET = ("INTEGRATIONS_QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN", "INTEGRATIONS_SLACK_SIGNING_SECRET")


@pytest.fixture(scope="module")
def bare(serve_env, tmp_path_factory):
    """`integrations serve` on the same database, without the two webhook secrets."""
    env = {k: v for k, v in serve_env.items() if k not in UNSET}
    env["INTEGRATIONS_PUBLIC_URL"] = f"http://127.0.0.1:{free_port()}"
    env["INTEGRATIONS_DATA_DIR"] = str(tmp_path_factory.mktemp("bare-serve-data"))
    running = Server(env, tmp_path_factory.mktemp("bare-serve-log") / "serve.log")
    yield running
    running.stop()


def post(server, path: str, body: bytes, headers: dict) -> httpx.Response:
    return httpx.post(server.url + path, content=body, headers={"Content-Type": "application/json", **headers},
                      timeout=10)


# -- QuickBooks ---------------------------------------------------------------------------------

def legacy(realm: str) -> bytes:
    return json.dumps({"eventNotifications": [{"realmId": realm, "dataChangeEvent": {"entities": [
        {"name": "Customer", "id": "1", "operation": "Create", "lastUpdated": "2026-11-26T12:00:00.000Z"}]}}]}).encode()


def intuit_signature(key: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def test_quickbooks_without_a_verifier_token_refuses_every_notification(bare, in_env, quickbooks_sandbox):
    company = Company(quickbooks_sandbox, in_env["INTEGRATIONS_DATABASE_URL"])
    quickbooks_sandbox.set_public_url(bare.url)  # Intuit delivers, signed with the app's verifier token
    company.customer("Unverifiable Ltd")
    [delivery] = quickbooks_sandbox.webhooks.delivered
    assert delivery.status == 401 and b"VERIFIER_TOKEN is not set" in delivery.answer

    body = legacy(company.realm)
    for headers in ({"intuit-signature": intuit_signature(quickbooks_sandbox.webhook_verifier_token, body)},
                    {"intuit-signature": intuit_signature("", body)},  # an HMAC keyed with the unset token
                    {}):
        assert post(bare, "/webhooks/quickbooks", body, headers).status_code == 401, headers
    assert jobs(company.url, company.id) == [] and received(company.url, company.id) == {}
    assert "QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN is not set" in bare.log()


# -- Slack --------------------------------------------------------------------------------------

def slack_signed(key: str, body: bytes) -> dict:
    timestamp = str(int(time.time()))
    digest = hmac.new(key.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": "v0=" + digest}


def test_slack_without_a_signing_secret_refuses_every_request(bare, in_env, slack_sandbox):
    ws = Workspace(slack_sandbox, in_env["INTEGRATIONS_DATABASE_URL"], {"sync_channels_live": None})
    slack_sandbox.set_public_url(bare.url)  # Slack delivers, signed with the app's signing secret
    ws.say(ws.channel("general"), "hello", ws.user("ana"))
    [delivery] = slack_sandbox.webhooks.delivered
    assert delivery.status == 401 and b"SIGNING_SECRET is not set" in delivery.answer

    body, signed = slack_sandbox.event_request(ws.team, {"type": "message", "channel": "C0X", "text": "hi",
                                                         "ts": "1700000000.000100"})
    for headers in (signed, slack_signed("", body), {}):
        assert post(bare, "/webhooks/slack/events", body, headers).status_code == 401, headers
    handshake, handshake_headers, challenge = slack_sandbox.url_verification_request()
    for headers in (handshake_headers, slack_signed("", handshake)):
        answer = post(bare, "/webhooks/slack/events", handshake, headers)
        assert answer.status_code == 401 and challenge not in answer.text
    assert jobs(ws.url, ws.id) == [] and received(ws.url, ws.id) == {}
    assert "SLACK_SIGNING_SECRET is not set" in bare.log()
