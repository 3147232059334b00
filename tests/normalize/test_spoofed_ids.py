"""An outsider cannot rewrite a tenant's email by reusing its Message-ID.

product.emails is keyed by Message-ID per tenant, but copies whose sender or Date disagree are
different emails: the copy the tenant can vouch for (the sender's own mailbox, SENT; else the
earliest received) keeps the Message-ID key, a disagreeing copy gets a key of its own (Message-ID
+ sender + date). Among agreeing copies the sender's own SENT copy supplies the columns. The result
does not depend on the order the copies arrive in.
"""

from __future__ import annotations

import hashlib
import uuid

import pytest

from tests.normalize.gmail_payloads import gmail_full
from tests.normalize.helpers import create_connection, dbt, dump_all, make_message, query, stage_calendar, stage_gmail
from worker.db.connect import connect

GENUINE_DATE = "Mon, 15 Jan 2024 10:00:00 +0000"


def email_id(tenant, key: str) -> str:
    return str(uuid.UUID(hashlib.md5(f"{tenant}|{key}".encode()).hexdigest()))


@pytest.fixture(scope="module")
def world(make_database, tmp_path_factory):
    url = make_database.create(prefix="nz_spoof")
    tenant = uuid.uuid4()
    with connect(url) as conn:
        me = create_connection(conn, tenant, "me@acme.com")
        bob = create_connection(conn, tenant, "bob@acme.com")
        conn.commit()
    return {"url": url, "tenant": tenant, "me": me, "bob": bob, "runs": tmp_path_factory.mktemp("dbt-runs")}


def sent_by_me(message_id: str) -> bytes:
    return make_message(subject="Proposal v2", sender="Me <me@acme.com>", to="client@client.example",
                        message_id=message_id, body="Our genuine proposal\n", date=GENUINE_DATE)


def spoof(message_id: str, *, sender="Mallory <mallory@evil.example>", date="Tue, 16 Jan 2024 08:00:00 +0000"):
    return make_message(subject="URGENT: new bank details", sender=sender, to="bob@acme.com",
                        message_id=message_id, body="Pay to account 666\n", date=date)


def stage(world, owner: str, gmail_id: str, raw: bytes, labels, received_ms: int):
    with connect(world["url"]) as conn:
        stage_gmail(conn, world[owner], world["tenant"], {
            gmail_id: gmail_full(raw, message_id=gmail_id, labels=labels, internal_date_ms=received_ms)})
        conn.commit()


def emails_with(world, message_id: str) -> dict:
    return {str(r["email_id"]): (r["subject"], r["from_address"], r["body_text"], r["mailbox_count"])
            for r in query(world["url"], "select * from product.emails where message_id_header = %s", (message_id,))}


def test_a_spoof_arriving_after_the_sent_mail_is_a_separate_email(world):
    mid = "<proposal-1@acme.com>"
    stage(world, "me", "s1", sent_by_me(mid), ["SENT"], 1_705_312_800_000)
    dbt(world["url"], world["runs"], command="run")
    stage(world, "bob", "x1", spoof(mid), ["INBOX"], 1_705_392_000_000)
    dbt(world["url"], world["runs"], command="run")

    key = "proposal-1@acme.com"
    assert emails_with(world, mid) == {
        email_id(world["tenant"], key): ("Proposal v2", "me@acme.com", "Our genuine proposal\n", 1),
        email_id(world["tenant"], f"{key}|mallory@evil.example|2024-01-16T08:00:00Z"): (
            "URGENT: new bank details", "mallory@evil.example", "Pay to account 666\n", 1)}


def test_a_spoof_arriving_before_the_sent_mail_gives_the_key_back_when_the_sent_copy_arrives(world):
    mid = "<proposal-2@acme.com>"
    stage(world, "bob", "x2", spoof(mid), ["INBOX"], 1_705_392_000_000)
    dbt(world["url"], world["runs"], command="run")
    stage(world, "me", "s2", sent_by_me(mid), ["SENT"], 1_705_312_800_000)
    dbt(world["url"], world["runs"], command="run")

    key = "proposal-2@acme.com"
    assert emails_with(world, mid) == {
        email_id(world["tenant"], key): ("Proposal v2", "me@acme.com", "Our genuine proposal\n", 1),
        email_id(world["tenant"], f"{key}|mallory@evil.example|2024-01-16T08:00:00Z"): (
            "URGENT: new bank details", "mallory@evil.example", "Pay to account 666\n", 1)}
    participants = query(world["url"], "select role, address from product.email_participants where email_id = %s"
                                       " order by role, position", (email_id(world["tenant"], key),))
    assert [(p["role"], p["address"]) for p in participants] == [("from", "me@acme.com"), ("to", "client@client.example")]
    mailboxes = query(world["url"], "select provider_message_id, email_id from product.email_mailboxes"
                                    " where provider_message_id in ('x2', 's2') order by 1")
    assert [(m["provider_message_id"], str(m["email_id"])) for m in mailboxes] == [
        ("s2", email_id(world["tenant"], key)),
        ("x2", email_id(world["tenant"], f"{key}|mallory@evil.example|2024-01-16T08:00:00Z"))]


def test_an_agreeing_copy_never_replaces_the_senders_own_sent_copy(world):
    mid = "<proposal-3@acme.com>"
    stage(world, "me", "s3", sent_by_me(mid), ["SENT"], 1_705_312_800_000)
    dbt(world["url"], world["runs"], command="run")
    # same sender and Date as the genuine mail, staged later in another mailbox
    stage(world, "bob", "x3", spoof(mid, sender="Me <me@acme.com>", date=GENUINE_DATE), ["INBOX"], 1_705_392_000_000)
    dbt(world["url"], world["runs"], command="run")

    assert emails_with(world, mid) == {
        email_id(world["tenant"], "proposal-3@acme.com"): ("Proposal v2", "me@acme.com", "Our genuine proposal\n", 2)}


def _event(event_id, *, organizer, title, attendees, created, is_self=False):
    return {"id": event_id, "iCalUID": "board-review-2024@acme.com", "status": "confirmed", "summary": title,
            "start": {"dateTime": "2024-03-04T09:00:00Z"}, "end": {"dateTime": "2024-03-04T10:00:00Z"},
            "organizer": {"email": organizer, **({"self": True} if is_self else {})},
            "created": created, "updated": created,
            "attendees": [{"email": a, "responseStatus": "needsAction"} for a in attendees]}


def test_an_outsiders_invite_reusing_an_ical_uid_is_a_separate_meeting(world):
    uid = "board-review-2024@acme.com"
    with connect(world["url"]) as conn:  # the outsider's invite is synced first
        stage_calendar(conn, world["bob"], world["tenant"], {"primary/evil1": _event(
            "evil1", organizer="mallory@evil.example", title="Urgent call", created="2024-03-02T00:00:00Z",
            attendees=["mallory@evil.example", "bob@acme.com"])})
        conn.commit()
    dbt(world["url"], world["runs"], command="run")
    with connect(world["url"]) as conn:
        stage_calendar(conn, world["me"], world["tenant"], {"primary/board1": _event(
            "board1", organizer="me@acme.com", title="Board review", created="2024-03-01T00:00:00Z", is_self=True,
            attendees=["me@acme.com", "bob@acme.com"])})
        conn.commit()
    dbt(world["url"], world["runs"], command="run")

    meetings = {str(r["meeting_id"]): (r["title"], r["organizer_address"]) for r in query(
        world["url"], "select * from product.meetings where ical_uid = %s", (uid,))}
    genuine = email_id(world["tenant"], uid)
    outsider = email_id(world["tenant"], f"{uid}|organizer:mallory@evil.example")
    assert meetings == {genuine: ("Board review", "me@acme.com"), outsider: ("Urgent call", "mallory@evil.example")}
    attendees = query(world["url"], "select meeting_id, address from product.meeting_attendees"
                                    " where meeting_id in (%s, %s) order by 1, 2", (genuine, outsider))
    assert sorted((str(a["meeting_id"]), a["address"]) for a in attendees) == sorted([
        (genuine, "bob@acme.com"), (genuine, "me@acme.com"),
        (outsider, "bob@acme.com"), (outsider, "mallory@evil.example")])


def test_spoof_handling_incrementally_equals_a_full_refresh(world):
    dbt(world["url"], world["runs"])
    incremental = dump_all(world["url"])
    dbt(world["url"], world["runs"], full_refresh=True)
    assert dump_all(world["url"]) == incremental
