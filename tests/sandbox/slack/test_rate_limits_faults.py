"""Rate-limit tiers per method and workspace, the non-Marketplace history limits, chat.postMessage's
per-channel pace, injected faults and the request log -- seen through slack_sdk (HTTP 429 with
``Retry-After`` and ``error: ratelimited``; ``RateLimitErrorRetryHandler`` waits and retries)."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

TEAM = "T0SANDBOX1"


def ratelimited(call, **kwargs):
    with pytest.raises(SlackApiError) as failed:
        call(**kwargs)
    response = failed.value.response
    assert response.status_code == 429 and response["error"] == "ratelimited"
    return int(response.headers["Retry-After"])


@pytest.fixture
def short_window(slack_sandbox):
    slack_sandbox.set_window_seconds(2.0)
    return slack_sandbox


def test_tier_2_allows_20_calls_per_window_per_method_and_workspace(short_window, slack_web_client):
    client = slack_web_client()
    for _ in range(20):
        client.conversations_list()
    assert 1 <= ratelimited(client.conversations_list) <= 2
    assert client.users_list()["ok"]  # another method has its own count
    assert slack_web_client("T0OTHERTEAM").conversations_list()["ok"]  # another workspace too
    assert short_window.count_requests(method_id="conversations.list", status=429) == 1


def test_tier_3_and_tier_4_counts(short_window, slack_web_client):
    channel = short_window.add_channel(TEAM, "general")["id"]
    client = slack_web_client()
    for _ in range(50):
        client.conversations_history(channel=channel)
    ratelimited(client.conversations_history, channel=channel)
    for _ in range(100):
        client.auth_test()
    ratelimited(client.auth_test)


def test_the_sdk_retry_handler_waits_retry_after_and_succeeds(slack_sandbox, slack_web_client):
    slack_sandbox.set_window_seconds(1.0)
    slack_sandbox.set_quota(tier2=1)
    client = slack_web_client(retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
    client.users_list()
    assert client.users_list()["ok"]  # the second call got 429, waited Retry-After, then passed
    statuses = [e["status"] for e in slack_sandbox.requests(method_id="users.list")]
    assert statuses == [200, 429, 200]


def test_limited_history_allows_one_call_per_window_and_15_messages(short_window, slack_web_client):
    sb = short_window
    channel = sb.add_channel(TEAM, "general")["id"]
    for n in range(40):
        sb.import_message(TEAM, channel, {"text": f"m{n}", "ts": f"1700000000.{n + 1:06d}"})
    sb.set_limited_history(True)
    client = slack_web_client()
    page = client.conversations_history(channel=channel, limit=200)
    assert len(page["messages"]) == 15 and page["has_more"]
    ratelimited(client.conversations_history, channel=channel)
    assert client.conversations_replies(channel=channel, ts="1700000000.000001")["ok"]  # its own count
    ratelimited(client.conversations_replies, channel=channel, ts="1700000000.000001")
    sb.set_limited_history(False)
    assert len(client.conversations_history(channel=channel)["messages"]) == 40


def test_post_message_is_paced_per_channel(slack_sandbox, slack_web_client):
    sb = slack_sandbox
    first = sb.add_channel(TEAM, "first")["id"]
    second = sb.add_channel(TEAM, "second")["id"]
    client = slack_web_client()
    for n in range(10):  # a burst of ten, about one per second on average
        client.chat_postMessage(channel=first, text=f"m{n}")
    ratelimited(client.chat_postMessage, channel=first, text="one too many")
    assert client.chat_postMessage(channel=second, text="other channel")["ok"]
    assert len(sb.messages(TEAM, first)) == 10


def test_metering_off(slack_sandbox, slack_web_client):
    slack_sandbox.set_quota(metered=False)
    client = slack_web_client()
    for _ in range(25):
        client.conversations_list()


def test_injected_faults_answer_in_slack_format_and_are_logged(slack_sandbox, slack_web_client):
    sb = slack_sandbox
    client = slack_web_client()
    sb.add_fault(r"/api/users\.list", status=503, retry_after=3)
    with pytest.raises(SlackApiError) as failed:
        client.users_list()
    assert failed.value.response.status_code == 503
    assert failed.value.response["error"] == "service_unavailable"
    assert client.users_list()["ok"]  # count 1: the next call passes
    sb.add_fault(r"/api/auth\.test", status=429, retry_after=7)
    assert ratelimited(client.auth_test) == 7
    entries = sb.requests(method_id="users.list")
    assert [(e["provider"], e["status"], e["fault"], e["user"]) for e in entries] == [
        ("slack", 503, "status", None), ("slack", 200, None, TEAM)]
