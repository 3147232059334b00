"""Slack's Events API on `POST /webhooks/slack/events`: signature v0, the 5-minute replay window,
retries handled once, url_verification, unknown teams; a burst of notifications is one or two runs."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx
import pytest

from tests.serve.conftest import jobs, received
from tests.slack.conftest import Workspace

TASK = "slack:sync_channels_live"
PATH = "/webhooks/slack/events"


@pytest.fixture
def workspace(server, in_env, slack_sandbox):
    return Workspace(slack_sandbox, in_env["INTEGRATIONS_DATABASE_URL"], {"sync_channels_live": None})


def post(server, body: bytes, headers: dict) -> httpx.Response:
    return httpx.post(server.url + PATH, content=body, headers=headers, timeout=10)


def event(sb, team: str, **headers) -> tuple[bytes, dict]:
    body, signed = sb.event_request(team, {"type": "message", "channel": "C0X", "text": "hi", "ts": "1700000000.000100"})
    return body, {**signed, **headers}


def test_healthz_answers_when_the_database_does(server):
    answer = httpx.get(server.url + "/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


def test_url_verification_echoes_the_challenge(server, slack_sandbox):
    body, headers, challenge = slack_sandbox.url_verification_request()
    answer = post(server, body, headers)
    assert answer.status_code == 200 and answer.text == challenge


def test_a_signed_event_enqueues_the_channel_sync_and_records_the_push(server, workspace, slack_sandbox):
    answer = post(server, *event(slack_sandbox, workspace.team))
    assert answer.status_code == 200
    assert jobs(workspace.url, workspace.id) == [(TASK, "todo")]
    assert received(workspace.url, workspace.id) == {"sync_channels_live": 1}


@pytest.mark.parametrize("tamper, status", [
    ("signature", 403), ("body", 403), ("unsigned", 401), ("stale", 401), ("future", 401)])
def test_a_request_failing_verification_changes_nothing(server, workspace, slack_sandbox, tamper, status):
    body, headers = event(slack_sandbox, workspace.team)
    if tamper == "signature":
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
    elif tamper == "body":
        body = body.replace(b'"text":"hi"', b'"text":"ho"')
    elif tamper == "unsigned":
        del headers["X-Slack-Signature"]
    else:  # validly signed, outside the 5-minute window (a replay, or a skewed clock)
        moment = int(time.time()) + (-360 if tamper == "stale" else 360)  # clear of the edge: the request takes time
        body, headers = slack_sandbox.event_request(workspace.team, {"type": "message"}, timestamp=moment)
    answer = post(server, body, headers)
    assert answer.status_code == status
    assert jobs(workspace.url, workspace.id) == []
    assert received(workspace.url, workspace.id) == {}


def test_a_retry_of_a_delivery_is_handled_once(server, workspace, slack_sandbox):
    body, headers = event(slack_sandbox, workspace.team)
    assert post(server, body, headers).status_code == 200
    retry = {**slack_sandbox.sign(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert post(server, body, retry).status_code == 200
    assert received(workspace.url, workspace.id) == {"sync_channels_live": 1}
    assert json.loads(body)["event_id"]  # the key of the deduplication


def test_an_unknown_team_is_404_and_logged_once(server, slack_sandbox, in_env):
    team = "TUNKNOWN" + uuid.uuid4().hex[:8].upper()
    for _ in range(3):
        assert post(server, *event(slack_sandbox, team)).status_code == 404
    deadline = time.monotonic() + 5
    while team not in server.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.log().count(team) == 1


def test_a_team_connected_by_two_tenants_notifies_both(server, in_env, slack_sandbox, workspace):
    other = Workspace(slack_sandbox, workspace.url, {"sync_channels_live": None}, team=workspace.team)
    assert post(server, *event(slack_sandbox, workspace.team)).status_code == 200
    assert jobs(workspace.url, workspace.id) == [(TASK, "todo")]
    assert jobs(workspace.url, other.id) == [(TASK, "todo")]


def test_a_burst_of_100_notifications_is_one_or_two_runs(server, workspace, slack_sandbox):
    requests = [event(slack_sandbox, workspace.team) for _ in range(100)]

    async def burst() -> list[int]:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            answers = await asyncio.gather(*(client.post(PATH, content=b, headers=h) for b, h in requests))
        return [a.status_code for a in answers]

    started = time.monotonic()
    assert asyncio.run(burst()) == [200] * 100
    elapsed = time.monotonic() - started
    assert 1 <= len(jobs(workspace.url, workspace.id, TASK)) <= 2
    assert received(workspace.url, workspace.id) == {"sync_channels_live": 100}
    assert elapsed < 30  # each answer is enqueue-only (Slack wants one within 3 s)


def test_deleting_the_connection_forgets_its_pushes_and_later_ones_are_404(server, workspace, slack_sandbox):
    from worker.connections import delete_connection
    from worker.db.connect import connect

    assert post(server, *event(slack_sandbox, workspace.team)).status_code == 200
    with connect(workspace.url) as conn:
        delete_connection(conn, workspace.id)
        conn.commit()
    assert received(workspace.url, workspace.id) == {}
    assert post(server, *event(slack_sandbox, workspace.team)).status_code == 404
