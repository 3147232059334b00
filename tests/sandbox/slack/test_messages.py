"""Messages through slack_sdk's WebClient: history order, windows and paging; threads, replies and
broadcasts; edits, deletions and tombstones; metadata only on request; block ids; chat.postMessage."""

from __future__ import annotations

import json

import pytest
from slack_sdk.errors import SlackApiError

TEAM = "T0SANDBOX1"
BASE = 1_700_000_000


def ts(n: int) -> str:
    return f"{BASE + n}.000100"


def pages_of(response) -> list[dict]:
    return [dict(page.data) for page in response]


@pytest.fixture
def channel(slack_sandbox):
    return slack_sandbox.add_channel(TEAM, "general")["id"]


@pytest.fixture
def ana(slack_sandbox):
    return slack_sandbox.add_user(TEAM, {"real_name": "Ana Lopez"})["id"]


def put(sb, channel, n, text=None, **fields):
    return sb.import_message(TEAM, channel, {"user": fields.pop("user", "U0ANAANAANA"), "text": text or f"m{n}",
                                             "ts": ts(n), **fields})


def test_history_is_newest_first_and_pages_backward_to_an_empty_cursor(slack_sandbox, channel, slack_web_client):
    for n in range(1, 8):
        put(slack_sandbox, channel, n)
    pages = pages_of(slack_web_client().conversations_history(channel=channel, limit=3))
    assert [[m["text"] for m in p["messages"]] for p in pages] == [["m7", "m6", "m5"], ["m4", "m3", "m2"], ["m1"]]
    assert [p["has_more"] for p in pages] == [True, True, False]
    assert pages[-1]["response_metadata"]["next_cursor"] == ""
    first = pages[0]["messages"][0]
    assert first["type"] == "message" and first["ts"] == ts(7) and first["team"] == TEAM


def test_history_window_oldest_latest_inclusive(slack_sandbox, channel, slack_web_client):
    for n in range(1, 8):
        put(slack_sandbox, channel, n)
    client = slack_web_client()

    def texts(**window):
        return [m["text"] for p in pages_of(client.conversations_history(channel=channel, limit=2, **window))
                for m in p["messages"]]

    assert texts(oldest=ts(2), latest=ts(6)) == ["m5", "m4", "m3"]
    assert texts(oldest=ts(2), latest=ts(6), inclusive=True) == ["m6", "m5", "m4", "m3", "m2"]
    assert texts(oldest=ts(5)) == ["m7", "m6"]
    assert texts(latest=ts(3)) == ["m2", "m1"]


def test_default_and_maximum_page_sizes(slack_sandbox, channel, slack_web_client):
    for n in range(1, 1002):
        slack_sandbox.import_message(TEAM, channel, {"text": "x", "ts": f"{BASE}.{n:06d}"})
    client = slack_web_client()
    assert len(client.conversations_history(channel=channel)["messages"]) == 100
    assert len(client.conversations_history(channel=channel, limit=5000)["messages"]) == 999


def test_threads_replies_and_broadcasts(slack_sandbox, channel, ana, slack_web_client):
    sb = slack_sandbox
    put(sb, channel, 1, "parent", user=ana)
    put(sb, channel, 2, "r1", thread_ts=ts(1), user="U0BENBENBEN")
    put(sb, channel, 3, "standalone")
    put(sb, channel, 4, "r2 broadcast", thread_ts=ts(1), subtype="thread_broadcast", user=ana)
    put(sb, channel, 5, "r3", thread_ts=ts(1), user="U0BENBENBEN")
    client = slack_web_client()
    history = client.conversations_history(channel=channel)["messages"]
    assert [m["text"] for m in history] == ["r2 broadcast", "standalone", "parent"]
    parent = history[2]
    assert parent["thread_ts"] == ts(1) and parent["reply_count"] == 3 and parent["latest_reply"] == ts(5)
    assert parent["reply_users"] == ["U0BENBENBEN", ana] and parent["reply_users_count"] == 2
    broadcast = history[0]
    assert broadcast["subtype"] == "thread_broadcast" and broadcast["thread_ts"] == ts(1)
    assert broadcast["root"]["text"] == "parent"
    assert "thread_ts" not in history[1]

    replies = client.conversations_replies(channel=channel, ts=ts(1))["messages"]
    assert [m["text"] for m in replies] == ["parent", "r1", "r2 broadcast", "r3"]
    assert all(m["thread_ts"] == ts(1) for m in replies)
    assert replies[1]["parent_user_id"] == ana
    by_reply = client.conversations_replies(channel=channel, ts=ts(5))["messages"]
    assert [m["text"] for m in by_reply] == ["parent", "r1", "r2 broadcast", "r3"]
    paged = pages_of(client.conversations_replies(channel=channel, ts=ts(1), limit=2))
    assert [[m["text"] for m in p["messages"]] for p in paged] == [["parent", "r1", "r2 broadcast"], ["parent", "r3"]]
    assert paged[-1]["response_metadata"]["next_cursor"] == ""
    window = client.conversations_replies(channel=channel, ts=ts(1), oldest=ts(2))["messages"]
    assert [m["text"] for m in window] == ["parent", "r2 broadcast", "r3"]
    lone = client.conversations_replies(channel=channel, ts=ts(3))["messages"]
    assert [m["text"] for m in lone] == ["standalone"]
    with pytest.raises(SlackApiError) as failed:
        client.conversations_replies(channel=channel, ts=ts(99))
    assert failed.value.response["error"] == "thread_not_found"


def test_an_edit_shows_edited_and_new_text(slack_sandbox, channel, slack_web_client):
    put(slack_sandbox, channel, 1, "first draft")
    edited = slack_sandbox.edit_message(TEAM, channel, ts(1), "final <@U0BENBENBEN>")
    assert edited["edited"]["user"] == "U0ANAANAANA" and float(edited["edited"]["ts"]) > float(ts(1))
    served = slack_web_client().conversations_history(channel=channel)["messages"][0]
    assert served["text"] == "final <@U0BENBENBEN>" and served["edited"] == edited["edited"]
    section = served["blocks"][0]["elements"][0]["elements"]
    assert section == [{"type": "text", "text": "final "}, {"type": "user", "user_id": "U0BENBENBEN"}]


def test_deletions_and_the_tombstone_of_a_parent_with_replies(slack_sandbox, channel, slack_web_client):
    sb = slack_sandbox
    put(sb, channel, 1, "parent")
    put(sb, channel, 2, "reply", thread_ts=ts(1))
    put(sb, channel, 3, "gone")
    client = slack_web_client()
    sb.delete_message(TEAM, channel, ts(3))
    sb.delete_message(TEAM, channel, ts(1))
    history = client.conversations_history(channel=channel)["messages"]
    assert len(history) == 1
    tombstone = history[0]
    assert tombstone["subtype"] == "tombstone" and tombstone["text"] == "This message was deleted."
    assert tombstone["ts"] == ts(1) and tombstone["reply_count"] == 1
    replies = client.conversations_replies(channel=channel, ts=ts(1))["messages"]
    assert [m.get("subtype") for m in replies] == ["tombstone", None]
    sb.delete_message(TEAM, channel, ts(2))  # the last reply goes: the tombstone goes with it
    assert client.conversations_history(channel=channel)["messages"] == []
    assert sb.messages(TEAM, channel) == []


def test_a_deleted_reply_leaves_the_thread_count(slack_sandbox, channel, slack_web_client):
    sb = slack_sandbox
    put(sb, channel, 1, "parent")
    put(sb, channel, 2, "r1", thread_ts=ts(1))
    put(sb, channel, 3, "r2", thread_ts=ts(1))
    sb.delete_message(TEAM, channel, ts(2))
    parent = slack_web_client().conversations_history(channel=channel)["messages"][0]
    assert parent["reply_count"] == 1 and parent["latest_reply"] == ts(3)
    assert [m["text"] for m in sb.messages(TEAM, channel)] == ["parent", "r2"]


def test_metadata_only_with_include_all_metadata(slack_sandbox, channel, slack_web_client):
    metadata = {"event_type": "deal_updated", "event_payload": {"deal": 7}}
    put(slack_sandbox, channel, 1, "with metadata", metadata=metadata)
    client = slack_web_client()
    assert "metadata" not in client.conversations_history(channel=channel)["messages"][0]
    assert client.conversations_history(channel=channel, include_all_metadata=True)["messages"][0]["metadata"] == \
        metadata
    assert "metadata" not in client.conversations_replies(channel=channel, ts=ts(1))["messages"][0]


def test_block_ids_change_on_every_read_unless_turned_off(slack_sandbox, channel, slack_web_client):
    put(slack_sandbox, channel, 1, "hello")
    client = slack_web_client()

    def block_id():
        return client.conversations_history(channel=channel)["messages"][0]["blocks"][0]["block_id"]

    assert len({block_id() for _ in range(4)}) > 1
    slack_sandbox.set_volatile_block_ids(False)
    assert len({block_id() for _ in range(4)}) == 1


def test_post_message_into_a_thread_with_broadcast_and_metadata(slack_sandbox, channel, slack_web_client):
    client = slack_web_client()
    parent = client.chat_postMessage(channel=channel, text="deal won :tada:",
                                     metadata={"event_type": "deal_won", "event_payload": {"id": 1}})
    assert parent["channel"] == channel and parent["message"]["user"] == client.install["bot_user_id"]
    assert parent["message"]["bot_id"].startswith("B") and parent["message"]["app_id"] == client.install["app_id"]
    assert parent["message"]["metadata"]["event_type"] == "deal_won"
    reply = client.chat_postMessage(channel=channel, text="details", thread_ts=parent["ts"])
    shout = client.chat_postMessage(channel=channel, text="everyone look", thread_ts=reply["ts"], reply_broadcast=True)
    assert float(parent["ts"]) < float(reply["ts"]) < float(shout["ts"])
    assert shout["message"]["thread_ts"] == parent["ts"] and shout["message"]["subtype"] == "thread_broadcast"
    history = client.conversations_history(channel=channel, include_all_metadata=True)["messages"]
    assert [m["text"] for m in history] == ["everyone look", "deal won :tada:"]
    assert history[1]["metadata"] == {"event_type": "deal_won", "event_payload": {"id": 1}}
    assert history[1]["reply_count"] == 2
    as_string = client.chat_postMessage(channel=channel, text="s",
                                        metadata=json.dumps({"event_type": "e", "event_payload": {}}))
    assert as_string["message"]["metadata"]["event_type"] == "e"
    stored = slack_sandbox.messages(TEAM, channel)
    assert [m["text"] for m in stored] == ["deal won :tada:", "details", "everyone look", "s"]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")  # the no_text case, on purpose
def test_post_message_errors(slack_sandbox, slack_web_client):
    sb = slack_sandbox
    outside = sb.add_channel(TEAM, "outside", bot_member=False)["id"]
    private = sb.add_channel(TEAM, "private", is_private=True, bot_member=False)["id"]
    mine = sb.add_channel(TEAM, "mine")["id"]
    client = slack_web_client(scopes=["chat:write"])

    def error(**kwargs):
        with pytest.raises(SlackApiError) as failed:
            client.chat_postMessage(**kwargs)
        return failed.value.response.data

    assert error(channel=outside, text="x")["error"] == "not_in_channel"
    assert error(channel=private, text="x")["error"] == "channel_not_found"
    assert error(channel="C0NOSUCHONE", text="x")["error"] == "channel_not_found"
    assert error(channel=mine, text="")["error"] == "no_text"
    assert error(channel=mine, text="x", metadata="{not json")["error"] == "invalid_metadata_format"
    assert error(channel=mine, text="x", thread_ts="1.000001")["error"] == "thread_not_found"
    public_writer = slack_web_client(scopes=["chat:write", "chat:write.public"])
    assert public_writer.chat_postMessage(channel=outside, text="x")["ok"]
    assert client.chat_postMessage(channel="#mine", text="by name")["channel"] == mine
    reader = slack_web_client(scopes=["channels:history"])
    with pytest.raises(SlackApiError) as failed:
        reader.chat_postMessage(channel=mine, text="x")
    assert failed.value.response["error"] == "missing_scope" and failed.value.response["needed"] == "chat:write"


def test_update_and_delete_own_messages(slack_sandbox, channel, slack_web_client):
    client = slack_web_client()
    posted = client.chat_postMessage(channel=channel, text="typo")
    updated = client.chat_update(channel=channel, ts=posted["ts"], text="fixed")
    assert updated["message"]["text"] == "fixed" and updated["message"]["edited"]["user"] == posted["message"]["user"]
    put(slack_sandbox, channel, 1, "someone else's")
    with pytest.raises(SlackApiError) as failed:
        client.chat_delete(channel=channel, ts=ts(1))
    assert failed.value.response["error"] == "cant_delete_message"
    client.chat_delete(channel=channel, ts=posted["ts"])
    assert [m["text"] for m in client.conversations_history(channel=channel)["messages"]] == ["someone else's"]


def test_served_blocks_round_trip_through_slack_sdk_block_models(slack_sandbox, slack_web_client):
    from slack_sdk.models.blocks import Block, RichTextBlock

    sb = slack_sandbox
    summary = sb.generate(TEAM, channels=2, messages_per_channel=80, users=4)
    client = slack_web_client()
    served = [m for c in summary["channels"] for m in client.conversations_history(channel=c["id"])["messages"]]
    with_blocks = [m for m in served if m.get("blocks")]
    assert len(with_blocks) > 100
    for message in with_blocks:
        parsed = Block.parse_all(message["blocks"])
        assert all(isinstance(b, RichTextBlock) for b in parsed)
        assert [b.to_dict() for b in parsed] == message["blocks"]
