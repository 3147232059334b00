"""Twilio's webhooks on `POST /webhooks/twilio`, verified by X-Twilio-Signature with the account's
auth token (stored by `connections set-webhook-secret`); twilio's own RequestValidator signs the
hand-made requests, an independent check of our verification."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import httpx
import pytest
from click.testing import CliRunner
from twilio.request_validator import RequestValidator

from tests.serve.conftest import jobs, received
from tests.twilio.conftest import TwilioAccount
from worker.cli import cli
from worker.connections import get_connection, load_credentials, store_credentials
from worker.crypto import keyring_from_settings
from worker.db.connect import connect
from worker.settings import get_settings

SMS, CALLS = "twilio:sync_sms_live", "twilio:sync_calls_live"


def new_sid() -> str:
    """Unique in the module's database (a reset sandbox hands out the same SIDs again)."""
    return "AC" + uuid.uuid4().hex


def set_secret(account: TwilioAccount, secret: str):
    return CliRunner().invoke(cli, ["connections", "set-webhook-secret", str(account.id)], input=secret + "\n")


@pytest.fixture
def account(server, in_env, twilio_sandbox):
    acct = TwilioAccount(twilio_sandbox, in_env["INTEGRATIONS_DATABASE_URL"],
                         {"sync_sms_live": None, "sync_calls_live": None}, account_sid=new_sid())
    result = set_secret(acct, twilio_sandbox.auth_token(acct.sid))
    assert result.exit_code == 0, result.output
    return acct


def signed(server, account, params: dict, token: str | None = None) -> tuple[bytes, dict]:
    """A request as Twilio sends it, signed by twilio's RequestValidator."""
    url = server.url + "/webhooks/twilio"
    signature = RequestValidator(token or account.sandbox.auth_token(account.sid)).compute_signature(url, params)
    return urlencode(params).encode(), {"X-Twilio-Signature": signature,
                                        "Content-Type": "application/x-www-form-urlencoded"}


def post(server, body: bytes, headers: dict) -> httpx.Response:
    return httpx.post(server.url + "/webhooks/twilio", content=body, headers=headers, timeout=10)


def inbound(account) -> dict:
    return {"MessageSid": "SM" + "a" * 32, "SmsSid": "SM" + "a" * 32, "AccountSid": account.sid,
            "From": "+14155550123", "To": "+14155550100", "Body": "hi there", "NumMedia": "0",
            "SmsStatus": "received", "ApiVersion": "2010-04-01"}


def test_the_secret_is_stored_encrypted_never_printed_and_kept_by_a_reconnect(account, twilio_sandbox):
    token = twilio_sandbox.auth_token(account.sid)
    result = set_secret(account, token)
    assert result.exit_code == 0 and token not in result.output
    with connect(account.url) as conn:
        row = get_connection(conn, account.id)
        assert token.encode() not in bytes(row["credentials"])
        keyring = keyring_from_settings(get_settings())
        key = twilio_sandbox.create_api_key(account.sid)  # a reconnect stores a new key
        store_credentials(conn, keyring, account.id, {"account_sid": account.sid, "api_key": key["sid"],
                                                      "api_secret": key["secret"]})
        conn.commit()
        assert load_credentials(keyring, get_connection(conn, account.id))["webhook_secret"] == token


def test_a_slack_connection_has_no_per_connection_webhook_secret(server, in_env, slack_sandbox):
    from tests.slack.conftest import Workspace

    ws = Workspace(slack_sandbox, in_env["INTEGRATIONS_DATABASE_URL"], {"sync_channels_live": None})
    result = CliRunner().invoke(cli, ["connections", "set-webhook-secret", str(ws.id)], input="x" * 32 + "\n")
    assert result.exit_code == 2 and "not verified with a per-connection secret" in result.output


def test_an_inbound_text_enqueues_the_sms_sync(server, account):
    answer = post(server, *signed(server, account, inbound(account)))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/xml")
    assert "<Response>" in answer.text
    assert jobs(account.url, account.id) == [(SMS, "todo")]
    assert received(account.url, account.id) == {"sync_sms_live": 1}


def test_a_call_status_callback_enqueues_the_call_sync(server, account):
    params = {"CallSid": "CA" + "b" * 32, "AccountSid": account.sid, "CallStatus": "completed",
              "From": "+14155550123", "To": "+14155550100", "Direction": "inbound", "ApiVersion": "2010-04-01"}
    assert post(server, *signed(server, account, params)).status_code == 200
    assert jobs(account.url, account.id) == [(CALLS, "todo")]


@pytest.mark.parametrize("tamper, status", [("unsigned", 401), ("other_token", 403), ("body", 403), ("url", 403)])
def test_a_request_failing_verification_changes_nothing(server, account, tamper, status):
    params = inbound(account)
    if tamper == "other_token":
        body, headers = signed(server, account, params, token="f" * 32)
    elif tamper == "url":  # signed for another URL (a request captured elsewhere and replayed here)
        other = RequestValidator(account.sandbox.auth_token(account.sid)).compute_signature(
            "https://elsewhere.example/webhooks/twilio", params)
        body, headers = urlencode(params).encode(), {"X-Twilio-Signature": other,
                                                     "Content-Type": "application/x-www-form-urlencoded"}
    else:
        body, headers = signed(server, account, params)
        if tamper == "unsigned":
            del headers["X-Twilio-Signature"]
        else:
            body = body.replace(b"hi+there", b"hi+thera")
    assert post(server, body, headers).status_code == status
    assert jobs(account.url, account.id) == []
    assert received(account.url, account.id) == {}


def test_a_connection_without_its_webhook_secret_verifies_nothing(server, in_env, twilio_sandbox):
    bare = TwilioAccount(twilio_sandbox, in_env["INTEGRATIONS_DATABASE_URL"], {"sync_sms_live": None},
                         account_sid=new_sid())
    assert post(server, *signed(server, bare, inbound(bare))).status_code == 403
    assert jobs(bare.url, bare.id) == []


def test_an_unknown_account_is_404(server, in_env, twilio_sandbox):
    stranger = twilio_sandbox.add_account(new_sid())
    params = {**{"MessageSid": "SM" + "c" * 32, "AccountSid": stranger, "MessageStatus": "delivered"}}
    url = server.url + "/webhooks/twilio"
    signature = RequestValidator(twilio_sandbox.auth_token(stranger)).compute_signature(url, params)
    answer = post(server, urlencode(params).encode(), {"X-Twilio-Signature": signature,
                                                       "Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 404
