"""`post_message`: exactly once, even when the worker dies after Slack accepted the post."""

import asyncio
import time

import pytest

from tests.fixtures.killable import wait_for
from tests.slack.conftest import SCOPES, Workspace, drain
from worker.api import action_result, post_message
from worker.db.connect import connect
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


def make_due(url, job_id) -> None:
    """The queue's retry is due now instead of after its backoff."""
    with connect(url) as conn:
        conn.execute("update procrastinate_jobs set scheduled_at = now() where id = %s", (job_id,))
        conn.commit()


def history_calls(ssb, method="conversations.history") -> int:
    return ssb.count_requests(provider="slack", method_id=method)


@pytest.mark.parametrize("in_thread", [False, True])
async def test_a_retry_finds_its_post_though_our_clock_is_three_minutes_ahead_of_slacks(workspace, ssb, monkeypatch,
                                                                                        in_thread):
    monkeypatch.setenv("INTEGRATIONS_SLACK_HTTP_TIMEOUT_SECONDS", "1")
    ssb.set_clock_offset(-180)  # Slack's clock is 3 minutes behind ours: its ts are "before" our row
    ws = workspace()
    general = ws.channel("general")
    parent = ws.say(general, "question", ws.user("ana")) if in_thread else None
    ssb.add_fault(POST, kind="delay", delay_seconds=2.5, count=1)  # Slack posts after our client gave up
    result = await post_message(ws.url, ws.id, channel=general, text="Skewed", thread_ts=parent)
    await drain(ws.url)
    row = await action_result(ws.url, result["outbound_id"])
    assert row["status"] == "sending" and row["attempts"] == 1
    assert await asyncio.to_thread(wait_for, lambda: len(ours(ssb, ws.team, general, result["outbound_id"])) == 1, 30)
    make_due(ws.url, result["job_id"])
    await drain(ws.url)
    row = await action_result(ws.url, result["outbound_id"])
    assert row["status"] == "done" and row["attempts"] == 2
    [posted] = ours(ssb, ws.team, general, result["outbound_id"])
    assert posted["ts"] == row["provider_id"] and ssb.count_requests(path=POST, method="POST") == 1


async def test_a_retry_reads_only_what_was_said_since_its_first_attempt(workspace, ssb, monkeypatch):
    """A post that waited in a busy channel: the retry reads from its first attempt, not from when
    the CRM asked (a hundred messages, ten pages, said meanwhile are never read)."""
    monkeypatch.setenv("INTEGRATIONS_SLACK_PAGE_SIZE", "10")
    monkeypatch.setenv("INTEGRATIONS_SLACK_POST_LOOKUP_PAGES", "2")
    ws = workspace()
    general, ana = ws.channel("general"), ws.user("ana")
    result = await post_message(ws.url, ws.id, channel=general, text="After the rush")
    with connect(ws.url) as conn:  # the CRM asked ten minutes ago; the job waited in a busy queue
        conn.execute("update integrations.outbound set created_at = now() - interval '10 minutes' where id = %s",
                     (result["outbound_id"],))
        conn.commit()
    start = time.time() - 540
    for i in range(100):  # what the channel said meanwhile
        ws.say(general, f"busy {i}", ana, ts=f"{start + i:.6f}")
    ssb.add_fault(POST, kind="reset", count=1)  # the first attempt never reaches Slack
    await drain(ws.url)
    row = await action_result(ws.url, result["outbound_id"])
    assert row["status"] == "sending" and row["attempts"] == 1 and ours(ssb, ws.team, general, result["outbound_id"]) == []
    make_due(ws.url, result["job_id"])
    await drain(ws.url)
    row = await action_result(ws.url, result["outbound_id"])
    assert row["status"] == "done" and row["attempts"] == 2, row["last_error"]
    assert [m["ts"] for m in ours(ssb, ws.team, general, result["outbound_id"])] == [row["provider_id"]]
    assert history_calls(ssb) == 1


async def test_a_retry_that_cannot_find_its_post_within_the_page_cap_fails_visibly_and_never_posts_twice(
        workspace, ssb, monkeypatch):
    monkeypatch.setenv("INTEGRATIONS_SLACK_HTTP_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("INTEGRATIONS_SLACK_PAGE_SIZE", "10")
    monkeypatch.setenv("INTEGRATIONS_SLACK_POST_LOOKUP_PAGES", "3")
    ws = workspace()
    general, ana = ws.channel("general"), ws.user("ana")
    ssb.add_fault(POST, kind="delay", delay_seconds=2.5, count=1)  # Slack posts after our client gave up
    result = await post_message(ws.url, ws.id, channel=general, text="Lost in the crowd")
    await drain(ws.url)
    assert await asyncio.to_thread(wait_for, lambda: len(ours(ssb, ws.team, general, result["outbound_id"])) == 1, 30)
    for i in range(60):  # the channel is busy before the retry: six pages said after our post
        ws.say(general, f"busy {i}", ana)
    make_due(ws.url, result["job_id"])
    await drain(ws.url)
    row = await action_result(ws.url, result["outbound_id"])
    assert row["status"] == "failed" and row["provider_id"] is None
    assert "cannot tell whether an earlier attempt posted" in row["last_error"]
    assert "new idempotency key" in row["last_error"] and general in row["last_error"]
    assert len(ours(ssb, ws.team, general, result["outbound_id"])) == 1
    assert ssb.count_requests(path=POST, method="POST") == 1 and history_calls(ssb) == 3
