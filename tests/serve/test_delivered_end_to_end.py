"""End to end with the providers' sandboxes delivering, as the providers would, to the public URL:
a change in the sandbox -> its signed webhook -> serve -> a job -> a worker in burst -> the change
staged. The sandboxes also send wrong signatures, retries and out-of-order deliveries."""

from __future__ import annotations

import uuid

import pytest

from tests.serve.conftest import drain, jobs, received
from tests.slack.conftest import Workspace
from tests.twilio.conftest import TwilioAccount

pytestmark = pytest.mark.asyncio
SLACK_TASK = "slack:sync_channels_live"


@pytest.fixture
def ws(server, in_env, slack_sandbox):
    workspace = Workspace(slack_sandbox, in_env["INTEGRATIONS_DATABASE_URL"], {"sync_channels_live": None})
    workspace.ana = workspace.user("ana")
    workspace.general = workspace.channel("general")
    slack_sandbox.set_public_url(server.url)
    return workspace


def texts(ws) -> set[str]:
    return {m["text"] for m in ws.live().values()}


async def test_slack_messages_posted_edited_and_deleted_reach_raw_records_by_push(ws, slack_sandbox):
    ts = ws.say(ws.general, "pushed hello", ws.ana)
    [delivery] = slack_sandbox.webhooks.delivered
    assert delivery.status == 200
    assert jobs(ws.url, ws.id) == [(SLACK_TASK, "todo")]
    await drain(ws.url)
    assert "pushed hello" in texts(ws)

    slack_sandbox.edit_message(ws.team, ws.general, ts, "pushed hello, edited")
    assert slack_sandbox.webhooks.delivered[-1].status == 200
    await drain(ws.url)
    assert "pushed hello, edited" in texts(ws) and "pushed hello" not in texts(ws)

    slack_sandbox.delete_message(ws.team, ws.general, ts)
    assert slack_sandbox.webhooks.delivered[-1].status == 200
    await drain(ws.url)
    assert "pushed hello, edited" not in texts(ws)
    assert received(ws.url, ws.id) == {"sync_channels_live": 3}


async def test_slack_out_of_order_deliveries_still_stage_everything(ws, slack_sandbox):
    slack_sandbox.webhooks.hold()
    for i in range(3):
        ws.say(ws.general, f"held {i}", ws.ana)
    assert slack_sandbox.webhooks.delivered == [] and jobs(ws.url, ws.id) == []
    released = slack_sandbox.webhooks.release(reverse=True)
    assert [d.status for d in released] == [200, 200, 200]
    assert jobs(ws.url, ws.id) == [(SLACK_TASK, "todo")]  # three notifications, one queued run
    await drain(ws.url)
    assert {"held 0", "held 1", "held 2"} <= texts(ws)


async def test_slack_retries_are_handled_once_and_bad_signatures_change_nothing(ws, slack_sandbox):
    slack_sandbox.webhooks.misbehave(duplicates=2)
    ws.say(ws.general, "retried", ws.ana)
    assert [d.status for d in slack_sandbox.webhooks.delivered] == [200, 200, 200]
    assert [d.headers.get("X-Slack-Retry-Num") for d in slack_sandbox.webhooks.delivered] == [None, "1", "2"]
    assert received(ws.url, ws.id) == {"sync_channels_live": 1}

    other = Workspace(slack_sandbox, ws.url, {"sync_channels_live": None})
    general = other.channel("general")
    slack_sandbox.webhooks.misbehave(bad_signature=True)
    other.say(general, "forged", other.user("eve"))
    assert slack_sandbox.webhooks.delivered[-1].status == 403
    assert jobs(ws.url, other.id) == [] and received(ws.url, other.id) == {}


@pytest.fixture
def twilio(server, in_env, twilio_sandbox):
    from click.testing import CliRunner

    from worker.cli import cli

    account = TwilioAccount(twilio_sandbox, in_env["INTEGRATIONS_DATABASE_URL"],
                            {"sync_sms_live": None, "sync_calls_live": None}, account_sid="AC" + uuid.uuid4().hex)
    result = CliRunner().invoke(cli, ["connections", "set-webhook-secret", str(account.id)],
                                input=twilio_sandbox.auth_token(account.sid) + "\n")
    assert result.exit_code == 0, result.output
    twilio_sandbox.set_public_url(server.url)
    return account


async def test_twilio_texts_and_calls_reach_raw_records_by_push(twilio, twilio_sandbox):
    text = twilio.text("inbound by push", inbound=True)
    call = twilio.call()
    assert [d.status for d in twilio_sandbox.webhooks.delivered] == [200, 200]
    assert sorted(jobs(twilio.url, twilio.id)) == [("twilio:sync_calls_live", "todo"), ("twilio:sync_sms_live", "todo")]
    await drain(twilio.url)
    assert twilio.heads()[text["sid"]]["payload"]["body"] == "inbound by push"
    assert call["sid"] in twilio.heads("twilio.call")

    twilio_sandbox.set_message_status(twilio.sid, text["sid"], "read")  # a status callback
    assert twilio_sandbox.webhooks.delivered[-1].status == 200
    assert received(twilio.url, twilio.id) == {"sync_sms_live": 2, "sync_calls_live": 1}


async def test_twilio_bad_signatures_and_duplicates(twilio, twilio_sandbox):
    twilio_sandbox.webhooks.misbehave(bad_signature=True)
    twilio.text("forged", inbound=True)
    assert twilio_sandbox.webhooks.delivered[-1].status == 403
    assert jobs(twilio.url, twilio.id) == []
    twilio_sandbox.webhooks.misbehave(duplicates=1)
    twilio.text("twice", inbound=True)
    assert [d.status for d in twilio_sandbox.webhooks.delivered[-2:]] == [200, 200]
    assert jobs(twilio.url, twilio.id) == [("twilio:sync_sms_live", "todo")]  # coalesced by the queueing lock
