"""Slack messages (conversations.history / .replies JSON staged as `slack.message`, with `slack.user`
and `slack.channel`) become product.chat_messages: one row per message per workspace and tenant,
keyed on (tenant, workspace, channel, ts); replies carry their thread; the author's profile email
and name; mentions, channel references and links rendered readable; edits as edited_at; deletions
(tombstones, and Slack's tombstone stand-in for a deleted thread parent) as is_deleted with the last
content kept; a user or channel renamed later re-renders what it touches; a poison payload is
quarantined without failing the run or another tenant; incremental runs equal a full refresh.

The world is normalized once; a test that stages more only touches messages no other test reads,
so the tests pass in any order."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.normalize.helpers import dbt, dump, query
from tests.normalize_slack.slack_payloads import (
    channel,
    chat_message_id,
    create_slack_connection,
    deleted,
    message,
    stage_channels,
    stage_messages,
    stage_users,
    user,
)
from worker.connections import delete_connection
from worker.db.connect import connect

PARENT, REPLY, BROADCAST = "1700000000.000100", "1700000060.000200", "1700000120.000300"
BOT, MENTIONS, EDITED, GONE = "1700000200.000400", "1700000300.000500", "1700000400.000600", "1700000500.000700"
TOMBSTONED, ITS_REPLY, POISON = "1700000600.000800", "1700000660.000900", "1700000700.001000"
RENAMED_THREAD, ASK_CLEO = "1700000800.001100", "1700000850.001150"

MENTION_TEXT = ("<@U2> &amp; <@U9|someone> look at <#C2|design> and <#C1>: <https://x.example/p?a=1&amp;b=2|the plan>,"
                " <https://y.example/raw> or mail <mailto:ann@acme.com|ann@acme.com> &lt;soon&gt; <!here>")


def at(ts: str) -> datetime:
    seconds, micros = ts.split(".")
    return datetime.fromtimestamp(int(seconds), timezone.utc) + timedelta(microseconds=int(micros))


@pytest.fixture(scope="module")
def world(make_database, tmp_path_factory):
    url = make_database.create(prefix="nz_slack")
    tenant, other_tenant = uuid.uuid4(), uuid.uuid4()
    with connect(url) as conn:
        acme = create_slack_connection(conn, tenant, "T1")
        # another tenant installed the same workspace: its rows are its own
        other = create_slack_connection(conn, other_tenant, "T1")
        stage_channels(conn, acme, tenant, [channel("C1", "general"), channel("C2", "design"),
                                            channel("C3", "sales")])
        stage_users(conn, acme, tenant, [
            user("U1", name="ann", real_name="Ann Lee", email="Ann.Lee@Acme.COM"),
            user("U2", name="bob", real_name="Robert Roe", display_name="Bob"),  # no users:read.email
            user("U3", name="cleo", real_name="Cleo Ng", display_name="Cleo", email="cleo@acme.com"),
        ])
        stage_messages(conn, acme, tenant, "C1", [
            message(PARENT, user="U1", text="Plan for Q3?", thread_ts=PARENT, reply_count=2),
            message(REPLY, user="U2", text="Looks good", thread_ts=PARENT),
            message(BROADCAST, user="U1", text="Also posted to the channel", thread_ts=PARENT,
                    subtype="thread_broadcast"),
            message(BOT, user=None, text="Deployed v2", subtype="bot_message", bot_id="B1", username="deploybot"),
            message(MENTIONS, user="U1", text=MENTION_TEXT),
            message(EDITED, user="U2", text="first draft"),
            message(GONE, user="U2", text="soon deleted"),
            message(TOMBSTONED, user="U2", text="a thread about to lose its parent", thread_ts=TOMBSTONED,
                    reply_count=1),
            message(ITS_REPLY, user="U1", text="a reply that stays", thread_ts=TOMBSTONED),
            # mentions a user renamed later, in another channel than the user's thread
            message(ASK_CLEO, user="U1", text="ask <@U3>"),
            # malformed: its ts is not a Slack timestamp (the sync keys it `C1:yesterday`)
            {**message(POISON, user="U1", text="poison"), "ts": "yesterday"},
        ])
        stage_messages(conn, acme, tenant, "C3", [
            message(RENAMED_THREAD, user="U3", text="<@U3> will call <#C3>", thread_ts=RENAMED_THREAD, reply_count=0),
        ])
        stage_messages(conn, other, other_tenant, "C1", [message(PARENT, user="U1", text="Plan for Q3?")])
        conn.commit()
    world = {"url": url, "tenant": tenant, "other_tenant": other_tenant, "acme": acme, "other": other,
             "runs": tmp_path_factory.mktemp("dbt-runs")}
    dbt(url, world["runs"])
    return world


def row(world, channel_id: str, ts: str, tenant=None) -> dict:
    [found] = query(world["url"], "select * from product.chat_messages where tenant_id = %s and channel_id = %s"
                                  " and ts = %s", (tenant or world["tenant"], channel_id, ts))
    return found


def test_a_thread_parent_and_its_replies_carry_the_threads_ts(world):
    parent, reply, broadcast = (row(world, "C1", ts) for ts in (PARENT, REPLY, BROADCAST))
    assert (parent["thread_ts"], parent["is_reply"], parent["reply_count"]) == (PARENT, False, 2)
    assert (reply["thread_ts"], reply["is_reply"], reply["reply_count"]) == (PARENT, True, 0)
    # a reply also sent to the channel is still a reply of its thread
    assert (broadcast["thread_ts"], broadcast["is_reply"]) == (PARENT, True)
    assert row(world, "C1", BOT)["thread_ts"] is None and row(world, "C1", BOT)["is_reply"] is False
    assert parent["sent_at"] == at(PARENT) and parent["edited_at"] is None
    assert (parent["channel_name"], parent["workspace_id"], parent["provider"]) == ("general", "T1", "slack")


def test_mentions_channels_and_links_are_rendered_readable(world):
    assert row(world, "C1", MENTIONS)["text"] == (
        "@Bob & @someone look at #design and #general: the plan (https://x.example/p?a=1&b=2),"
        " https://y.example/raw or mail ann@acme.com <soon> @here")


def test_the_author_is_named_and_addressed_from_the_users_profile(world):
    ann, bob, bot = row(world, "C1", PARENT), row(world, "C1", REPLY), row(world, "C1", BOT)
    assert (ann["author_id"], ann["author_name"], ann["author_address"]) == ("U1", "Ann Lee", "ann.lee@acme.com")
    # the display name first; no email without the users:read.email scope
    assert (bob["author_id"], bob["author_name"], bob["author_address"]) == ("U2", "Bob", None)
    assert (bot["author_id"], bot["author_name"], bot["author_address"]) == ("B1", "deploybot", None)


def test_messages_are_keyed_on_tenant_workspace_channel_and_ts(world):
    mine, theirs = row(world, "C1", PARENT), row(world, "C1", PARENT, tenant=world["other_tenant"])
    assert str(mine["chat_message_id"]) == chat_message_id(world["tenant"], "T1", "C1", PARENT)
    assert str(theirs["chat_message_id"]) == chat_message_id(world["other_tenant"], "T1", "C1", PARENT)
    assert theirs["connection_id"] == world["other"] and theirs["author_name"] is None  # its users are not staged
    keys = query(world["url"], "select tenant_id, workspace_id, channel_id, ts, count(*) as n"
                               " from product.chat_messages group by 1, 2, 3, 4 having count(*) > 1")
    assert keys == []


def test_a_poison_payload_is_quarantined_without_failing_the_run_or_another_tenant(world):
    reasons = query(world["url"], "select external_id, reason from integrations_staging.normalize_quarantine"
                                  " where resource_type = 'slack.message'")
    assert [(r["external_id"], r["reason"]) for r in reasons] == [
        ("C1:yesterday", "impossible ts: yesterday")]
    assert query(world["url"], "select 1 from product.chat_messages where text = 'poison'") == []
    # the rest of the same page, and the other tenant, are normalized
    assert row(world, "C1", PARENT)["text"] == "Plan for Q3?"
    assert row(world, "C1", PARENT, tenant=world["other_tenant"])["text"] == "Plan for Q3?"


def test_an_edit_sets_edited_at_and_the_new_text_on_the_same_row(world):
    before = row(world, "C1", EDITED)
    assert (before["text"], before["edited_at"]) == ("first draft", None)
    edit_ts = "1700000900.000000"
    with connect(world["url"]) as conn:
        stage_messages(conn, world["acme"], world["tenant"], "C1",
                       [message(EDITED, user="U2", text="final *version*", edited_ts=edit_ts)])
        conn.commit()
    dbt(world["url"], world["runs"])

    after = row(world, "C1", EDITED)
    assert after["chat_message_id"] == before["chat_message_id"]
    assert (after["text"], after["edited_at"], after["is_deleted"]) == ("final *version*", at(edit_ts), False)


def test_deletions_flag_the_message_and_keep_its_last_content(world):
    with connect(world["url"]) as conn:
        stage_messages(conn, world["acme"], world["tenant"], "C1", [
            deleted(f"C1:{GONE}"),
            # the parent of a thread with replies is deleted: Slack lists a stand-in in its place
            message(TOMBSTONED, user="USLACKBOT", text="This message was deleted.", thread_ts=TOMBSTONED,
                    reply_count=1, subtype="tombstone"),
        ])
        conn.commit()
    dbt(world["url"], world["runs"])

    gone, parent, reply = row(world, "C1", GONE), row(world, "C1", TOMBSTONED), row(world, "C1", ITS_REPLY)
    assert (gone["is_deleted"], gone["text"], gone["author_name"]) == (True, "soon deleted", "Bob")
    assert (parent["is_deleted"], parent["text"], parent["author_id"]) == (
        True, "a thread about to lose its parent", "U2")
    assert (reply["is_deleted"], reply["is_reply"], reply["thread_ts"]) == (False, True, TOMBSTONED)


def test_a_late_reply_and_a_renamed_user_and_channel_re_render_what_they_touch(world):
    before = row(world, "C3", RENAMED_THREAD)
    assert (before["text"], before["channel_name"], before["author_name"], before["reply_count"]) == (
        "@Cleo will call #sales", "sales", "Cleo", 0)
    assert row(world, "C1", ASK_CLEO)["text"] == "ask @Cleo"
    late = "1700001000.001200"
    with connect(world["url"]) as conn:
        stage_users(conn, world["acme"], world["tenant"], [
            user("U3", name="cleo", real_name="Cleo Ng", display_name="Cleo N.", email="Cleo.Ng@Acme.com")])
        stage_channels(conn, world["acme"], world["tenant"], [channel("C3", "sales-emea")])
        stage_messages(conn, world["acme"], world["tenant"], "C3", [
            message(RENAMED_THREAD, user="U3", text="<@U3> will call <#C3>", thread_ts=RENAMED_THREAD, reply_count=1),
            message(late, user="U1", text="late reply", thread_ts=RENAMED_THREAD)])
        conn.commit()
    dbt(world["url"], world["runs"])

    after = row(world, "C3", RENAMED_THREAD)
    assert (after["text"], after["channel_name"], after["author_name"], after["author_address"],
            after["reply_count"]) == ("@Cleo N. will call #sales-emea", "sales-emea", "Cleo N.", "cleo.ng@acme.com", 1)
    reply = row(world, "C3", late)
    assert (reply["is_reply"], reply["thread_ts"], reply["channel_name"]) == (True, RENAMED_THREAD, "sales-emea")
    # a message that only mentions the renamed user, in another channel, is re-rendered too
    assert row(world, "C1", ASK_CLEO)["text"] == "ask @Cleo N."


def test_a_deleted_connection_takes_its_messages_and_a_reinstall_gives_the_same_rows(world):
    tenant = uuid.uuid4()
    with connect(world["url"]) as conn:
        first = create_slack_connection(conn, tenant, "T7")
        stage_users(conn, first, tenant, [user("U1", name="zed", email="zed@globex.example", team="T7")])
        stage_messages(conn, first, tenant, "C7", [message("1700002000.000001", user="U1", text="hi", team="T7")])
        conn.commit()
    dbt(world["url"], world["runs"])
    [before] = query(world["url"], "select * from product.chat_messages where tenant_id = %s", (tenant,))
    others = dump(world["url"], "product.chat_messages")

    with connect(world["url"]) as conn:
        delete_connection(conn, first)
        conn.commit()
    dbt(world["url"], world["runs"])
    assert query(world["url"], "select 1 from product.chat_messages where tenant_id = %s", (tenant,)) == []
    assert dump(world["url"], "product.chat_messages") == [r for r in others if ("tenant_id", repr(tenant)) not in r]

    with connect(world["url"]) as conn:
        second = create_slack_connection(conn, tenant, "T7")
        stage_users(conn, second, tenant, [user("U1", name="zed", email="zed@globex.example", team="T7")])
        stage_messages(conn, second, tenant, "C7", [message("1700002000.000001", user="U1", text="hi", team="T7")])
        conn.commit()
    dbt(world["url"], world["runs"])
    [again] = query(world["url"], "select * from product.chat_messages where tenant_id = %s", (tenant,))
    assert again["chat_message_id"] == before["chat_message_id"] and again["connection_id"] == second
    assert (again["text"], again["author_address"]) == ("hi", "zed@globex.example")


def test_incremental_runs_equal_a_full_refresh(world):
    incremental = dump(world["url"], "product.chat_messages")
    assert incremental
    dbt(world["url"], world["runs"], full_refresh=True)
    assert dump(world["url"], "product.chat_messages") == incremental


def test_a_message_carries_its_raw_records_external_id(world):
    """`<channel>:<ts>`, as the sync keys it: what reconcile compares with the provider's ids."""
    assert row(world, "C1", PARENT)["external_id"] == f"C1:{PARENT}"
