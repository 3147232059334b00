"""`post_message`: exactly once, even when the worker dies after Slack accepted the post."""

import pytest

from tests.slack.conftest import SCOPES, Workspace, drain
from worker.api import action_result, post_message
from worker.errors import BadInput
from worker.settings import get_settings

pytestmark = pytest.mark.asyncio
POST = "chat.postMessage"


def ours(ssb, team, channel, outbound_id) -> list[dict]:
    return [m for m in ssb.messages(team, channel)
            if (m.get("metadata") or {}).get("event_payload", {}).get("outbound_id") == outbound_id]


async def test_a_post_and_a_thread_reply_are_posted_once_and_staged(workspace, ssb):
    ws = workspace()
    ana = ws.user("ana")
    general = ws.channel("general")
    parent = ws.say(general, "question", ana)
    first = await post_message(ws.url, ws.id, channel=general, text="Deal won", idempotency_key="k1")
    again = await post_message(ws.url, ws.id, channel=general, text="Deal won", idempotency_key="k1")
    reply = await post_message(ws.url, ws.id, channel=general, text="answer", thread_ts=parent)
    assert again["job_id"] is None and again["outbound_id"] == first["outbound_id"]
    await drain(ws.url)
    done = await action_result(ws.url, first["outbound_id"])
    assert done["status"] == "done" and done["provider_id"]
    assert len(ours(ssb, ws.team, general, first["outbound_id"])) == 1
    staged = ws.live()[f"{general}:{done['provider_id']}"]
    assert staged["text"] == "Deal won"
    replied = await action_result(ws.url, reply["outbound_id"])
    assert replied["status"] == "done" and replied["thread_id"] == parent
    assert ws.live()[f"{general}:{replied['provider_id']}"]["thread_ts"] == parent


@pytest.mark.parametrize("request_, message", [
    ({"channel": "general", "text": "x"}, "channel id"),
    ({"channel": "C1", "text": "  "}, "must not be empty"),
    ({"channel": "C1", "text": "x", "thread_ts": "yesterday"}, "--thread-ts"),
])
async def test_bad_requests_are_refused_before_anything_is_queued(workspace, request_, message):
    ws = workspace()
    with pytest.raises(BadInput, match=message):
        await post_message(ws.url, ws.id, **request_)


async def test_a_post_to_a_channel_without_the_bot_fails_with_the_reason(workspace, ssb):
    ws = workspace()
    sales = ws.channel("sales", bot_member=False)
    result = await post_message(ws.url, ws.id, channel=sales, text="hello")
    await drain(ws.url)
    row = await action_result(ws.url, result["outbound_id"])
    assert row["status"] == "failed" and "not_in_channel" in row["last_error"]


async def test_a_worker_killed_after_slack_accepted_the_post_never_posts_twice(ssb, make_database, monkeypatch,
                                                                               tmp_path):
    from tests.fixtures.killable import KillableWorker, doing_jobs, recover, wait_for

    url = make_database.create(prefix="slackpost")  # the worker subprocess takes every job it finds
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", url)
    get_settings.cache_clear()
    ws = Workspace(ssb, url, {"post_message": None}, SCOPES)
    general = ws.channel("general")
    held = ssb.add_fault(POST, kind="hold")
    result = await post_message(url, ws.id, channel=general, text="Killed mid-post", idempotency_key="kill-1")
    worker = KillableWorker(url, tmp_path / "worker.log")
    try:
        assert ssb.wait_held(held["id"], timeout=60), worker.output()  # the request is at Slack
        [job] = doing_jobs(url)
        assert job["id"] == result["job_id"]
        worker.sigkill()
    finally:
        worker.stop()
        ssb.release(held["id"])  # Slack posts it; its answer reaches no one
    assert wait_for(lambda: len(ours(ssb, ws.team, general, result["outbound_id"])) == 1, timeout=30)
    row = await action_result(url, result["outbound_id"])
    assert row["status"] == "sending" and row["attempts"] == 1 and row["provider_id"] is None

    await recover(url, job["id"])
    await drain(url)
    row = await action_result(url, result["outbound_id"])
    assert row["status"] == "done" and row["attempts"] == 2
    assert ssb.count_requests(path=POST, method="POST") == 1
    [posted] = ours(ssb, ws.team, general, result["outbound_id"])
    assert posted["ts"] == row["provider_id"]
