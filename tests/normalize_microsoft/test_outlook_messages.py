"""Outlook messages (Graph JSON staged as `outlook.message`) become product emails through the
provider-neutral layer: one product.emails row per Message-ID and tenant, one email_mailboxes row per
copy, labels = folder displayName + categories, tombstones flag the copy, a malformed payload is
quarantined without failing the run or another tenant, and incremental runs equal a full refresh."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timezone

import pytest

from tests.normalize.helpers import create_connection, dbt, dump_all, make_message, query, stage_gmail
from tests.normalize_microsoft.graph_payloads import (
    create_microsoft_connection,
    graph_message,
    removed,
    stage_folders,
    stage_outlook,
)
from worker.db.connect import connect

HTML = "<html><head><style>p{}</style></head><body><p>Hello&nbsp;<b>Bob</b></p><div>Call me</div></body></html>"


@pytest.fixture(scope="module")
def world(make_database, tmp_path_factory):
    url = make_database.create(prefix="nz_outlook")
    tenant, other_tenant = uuid.uuid4(), uuid.uuid4()
    with connect(url) as conn:
        me = create_microsoft_connection(conn, tenant, "Me@Acme.com")
        gmail = create_connection(conn, tenant, "bob@acme.com")
        other = create_microsoft_connection(conn, other_tenant, "zed@other.example")
        conn.commit()
    world = {"url": url, "tenant": tenant, "other_tenant": other_tenant, "me": me, "gmail": gmail, "other": other,
             "runs": tmp_path_factory.mktemp("dbt-runs")}
    with connect(url) as conn:
        stage_folders(conn, me, tenant, {"inbox-folder-id": "Inbox", "sent-folder-id": "Sent Items",
                                         "archive-folder-id": "Archive", "projects-folder-id": "Projects"})
        stage_outlook(conn, me, tenant, {
            "m-plain": graph_message("m-plain", subject="Quarterly numbers", internet_message_id="<q1@example.com>",
                                     cc=("Carol@Example.com",), reply_to=("replies@example.com",),
                                     body="Numbers attached.\n\n-- \nAnn\n+1 415 555 0100\n",
                                     headers=[{"name": "Message-ID", "value": "<q1@example.com>"},
                                              {"name": "In-Reply-To", "value": "<q0@example.com>"},
                                              {"name": "References", "value": "<q-1@example.com> <q0@example.com>"},
                                              {"name": "Date", "value": "Mon, 15 Jan 2024 10:00:00 +0000"}]),
            "m-html": graph_message("m-html", subject="HTML only", body=HTML, content_type="html",
                                    internet_message_id="<h1@example.com>", categories=("Red category", "Clients")),
            "m-sent": graph_message("m-sent", subject="Our offer", sender="me@acme.com", sender_name="Me",
                                    to=("client@client.example",), internet_message_id="<offer@acme.com>",
                                    folder="sent-folder-id", sent="2024-01-16T09:00:00Z",
                                    received="2024-01-16T09:00:00Z"),
            "m-shared": graph_message("m-shared", subject="Shared", internet_message_id="<shared@example.com>",
                                      to=("me@acme.com", "bob@acme.com"), folder="unknown-folder-id"),
            "m-move": graph_message("m-move", subject="To be filed", internet_message_id="<move@example.com>"),
            "m-in-projects": graph_message("m-in-projects", internet_message_id="<p1@example.com>",
                                           folder="projects-folder-id", categories=("Blue",)),
            "m-gone": graph_message("m-gone", subject="Soon deleted", internet_message_id="<gone@example.com>"),
            # no internetMessageId and no headers (a draft): keyed by the provider id
            "m-draft": graph_message("m-draft", subject="Draft", sender="me@acme.com", internet_message_id=None,
                                     headers=[], sent=None, is_draft=True, folder="drafts-folder-id"),
            # malformed: the dates are not dates, the recipients not a list
            "m-bad": {**graph_message("m-bad", internet_message_id="<bad@example.com>"),
                      "receivedDateTime": "yesterday", "sentDateTime": "2024-13-45T99:00:00Z",
                      "toRecipients": "me@acme.com"},
        })
        stage_gmail(conn, gmail, tenant, {"g-shared": make_message(
            subject="Shared", sender="Ann <ann@example.com>", to="me@acme.com, bob@acme.com",
            message_id="<shared@example.com>", date="Mon, 15 Jan 2024 10:00:00 +0000")})
        stage_outlook(conn, other, other_tenant, {
            "o-1": graph_message("o-1", subject="Other tenant", internet_message_id="<q1@example.com>")})
        conn.commit()
    dbt(url, world["runs"])
    return world


def email(world, message_id: str, tenant=None) -> dict:
    [row] = query(world["url"], "select * from product.emails where tenant_id = %s and message_id_header = %s",
                  (tenant or world["tenant"], message_id))
    return row


def mailbox(world, provider_message_id: str) -> dict:
    [row] = query(world["url"], "select * from product.email_mailboxes where provider_message_id = %s",
                  (provider_message_id,))
    return row


def participants(world, email_id) -> list[tuple]:
    return [(p["role"], p["address"], p["display_name"]) for p in query(
        world["url"], "select * from product.email_participants where email_id = %s order by role, position",
        (email_id,))]


def test_a_plain_inbound_message_is_an_email_with_its_headers_and_participants(world):
    row = email(world, "<q1@example.com>")
    assert (row["subject"], row["from_address"], row["from_name"], row["direction"]) == (
        "Quarterly numbers", "ann@example.com", "Ann", "inbound")
    assert row["sent_at"] == datetime(2024, 1, 15, 10, 0, tzinfo=timezone.utc)
    assert (row["in_reply_to"], row["references"]) == ("<q0@example.com>", ["<q-1@example.com>", "<q0@example.com>"])
    assert row["body_text"].startswith("Numbers attached.") and row["snippet"].startswith("Numbers attached.")
    assert row["signature_phones"] == ["+14155550100"]
    assert participants(world, row["email_id"]) == [
        ("cc", "carol@example.com", "Carol"), ("from", "ann@example.com", "Ann"), ("reply_to", "replies@example.com",
                                                                                  "Replies"),
        ("to", "me@acme.com", "Me")]
    box = mailbox(world, "m-plain")
    assert (box["connection_id"], box["thread_id"], box["labels"], box["is_deleted"], box["mailbox_owner"]) == (
        world["me"], "conv-1", ["Inbox"], False, "me@acme.com")


def test_an_html_only_body_gets_its_text_through_the_shared_helper(world):
    row = email(world, "<h1@example.com>")
    assert row["body_html"] == HTML
    assert row["body_text"] == "Hello Bob\n\nCall me"


def test_categories_follow_the_folder_name_in_labels(world):
    assert mailbox(world, "m-html")["labels"] == ["Inbox", "Red category", "Clients"]
    assert mailbox(world, "m-shared")["labels"] == ["unknown-folder-id"]  # folder never staged: its id


def test_a_message_sent_from_the_mailbox_is_outbound(world):
    row = email(world, "<offer@acme.com>")
    assert (row["direction"], row["from_address"]) == ("outbound", "me@acme.com")
    assert mailbox(world, "m-sent")["labels"] == ["Sent Items"]


def test_a_message_without_message_id_is_keyed_by_its_provider_id(world):
    [row] = query(world["url"], "select e.* from product.emails as e join product.email_mailboxes as m"
                                " using (email_id) where m.provider_message_id = 'm-draft'")
    assert row["message_id_header"] is None and row["subject"] == "Draft"
    key = f"{world['tenant']}|outlook:m-draft"
    assert str(row["email_id"]) == str(uuid.UUID(hashlib.md5(key.encode()).hexdigest()))


def test_a_gmail_copy_and_an_outlook_copy_of_one_message_are_one_email_in_two_mailboxes(world):
    row = email(world, "<shared@example.com>")
    assert row["mailbox_count"] == 2
    boxes = query(world["url"], "select connection_id, provider_message_id from product.email_mailboxes"
                                " where email_id = %s", (row["email_id"],))
    assert {(b["connection_id"], b["provider_message_id"]) for b in boxes} == {
        (world["me"], "m-shared"), (world["gmail"], "g-shared")}


def test_a_malformed_message_is_quarantined_and_nothing_else_is_held_back(world):
    reasons = query(world["url"], "select external_id, reason from integrations_staging.normalize_quarantine"
                                  " where resource_type = 'outlook.message'")
    assert [(r["external_id"], r["reason"]) for r in reasons] == [
        ("m-bad", "impossible sentDateTime: 2024-13-45T99:00:00Z")]
    assert query(world["url"], "select 1 from product.email_mailboxes where provider_message_id = 'm-bad'") == []
    # the other tenant's copy of the same Message-ID is its own email, untouched
    other = email(world, "<q1@example.com>", tenant=world["other_tenant"])
    assert other["subject"] == "Other tenant" and other["email_id"] != email(world, "<q1@example.com>")["email_id"]


def test_a_move_changes_the_labels_of_the_same_mailbox_row_and_a_tombstone_flags_it(world):
    before = mailbox(world, "m-move")
    assert before["labels"] == ["Inbox"]
    with connect(world["url"]) as conn:
        moved = graph_message("m-move", subject="To be filed", internet_message_id="<move@example.com>",
                              folder="archive-folder-id", categories=("Done",))
        stage_outlook(conn, world["me"], world["tenant"], {"m-move": moved, "m-gone": removed("m-gone")})
        stage_folders(conn, world["me"], world["tenant"], {"projects-folder-id": "Projects 2024"})  # renamed
        conn.commit()
    dbt(world["url"], world["runs"])

    after = mailbox(world, "m-move")
    assert (after["mailbox_message_id"], after["email_id"]) == (before["mailbox_message_id"], before["email_id"])
    assert after["labels"] == ["Archive", "Done"]
    assert mailbox(world, "m-in-projects")["labels"] == ["Projects 2024", "Blue"]
    gone = mailbox(world, "m-gone")
    assert gone["is_deleted"] is True
    assert email(world, "<gone@example.com>")["is_deleted"] is True


def test_incremental_runs_equal_a_full_refresh(world):
    incremental = dump_all(world["url"])
    dbt(world["url"], world["runs"], full_refresh=True)
    assert dump_all(world["url"]) == incremental
