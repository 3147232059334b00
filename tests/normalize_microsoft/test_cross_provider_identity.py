"""The canonical-copy rule holds across providers: a Gmail copy and an Outlook copy of one
Message-ID whose sender and Date agree are one product.emails row in two mailboxes; an Outlook copy
whose sender or Date disagrees with the copy the tenant can vouch for (the sender's own sent copy,
here in Gmail) is kept apart under its own email_id, whichever arrives first. Meetings likewise: an
Outlook invite from another organizer reusing the iCalUID of a meeting organized in Google is
another meeting, and an Outlook copy from the same organizer is the same meeting."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from tests.normalize.gmail_payloads import gmail_full
from tests.normalize.helpers import (
    create_connection,
    dbt,
    dump_all,
    make_message,
    query,
    stage_calendar,
    stage_gmail,
)
from tests.normalize_microsoft.graph_payloads import (
    create_microsoft_connection,
    graph_event,
    graph_message,
    stage_events,
    stage_outlook,
)
from worker.db.connect import connect

GENUINE_DATE = "Mon, 15 Jan 2024 10:00:00 +0000"


def email_id(tenant, key: str) -> str:
    return str(uuid.UUID(hashlib.md5(f"{tenant}|{key}".encode()).hexdigest()))


@pytest.fixture(scope="module")
def world(make_database, tmp_path_factory):
    url = make_database.create(prefix="nz_ms_spoof")
    tenant = uuid.uuid4()
    with connect(url) as conn:
        me = create_connection(conn, tenant, "me@acme.com")  # Gmail: the sender's own mailbox
        bob = create_microsoft_connection(conn, tenant, "bob@acme.com")  # Outlook: a recipient's
        conn.commit()
    return {"url": url, "tenant": tenant, "me": me, "bob": bob, "runs": tmp_path_factory.mktemp("dbt-runs")}


def stage_sent_in_gmail(world, gmail_id: str, message_id: str):
    raw = make_message(subject="Proposal v2", sender="Me <me@acme.com>", to="bob@acme.com",
                       message_id=message_id, body="Our genuine proposal\n", date=GENUINE_DATE)
    with connect(world["url"]) as conn:
        stage_gmail(conn, world["me"], world["tenant"], {
            gmail_id: gmail_full(raw, message_id=gmail_id, labels=["SENT"], internal_date_ms=1_705_312_800_000)})
        conn.commit()


def stage_in_outlook(world, outlook_id: str, message_id: str, *, sender: str, date: str, subject: str, body: str):
    with connect(world["url"]) as conn:
        stage_outlook(conn, world["bob"], world["tenant"], {outlook_id: graph_message(
            outlook_id, subject=subject, sender=sender, to=("bob@acme.com",), internet_message_id=message_id,
            body=body, sent=date, received="2024-01-16T08:00:05Z",
            headers=[{"name": "Message-ID", "value": message_id}])})
        conn.commit()


def emails_with(world, message_id: str) -> dict:
    return {str(r["email_id"]): (r["subject"], r["from_address"], r["mailbox_count"]) for r in query(
        world["url"], "select * from product.emails where message_id_header = %s", (message_id,))}


def test_an_agreeing_outlook_copy_joins_the_gmail_senders_email(world):
    mid = "<deal-1@acme.com>"
    stage_sent_in_gmail(world, "s1", mid)
    stage_in_outlook(world, "o1", mid, sender="me@acme.com", date="2024-01-15T10:00:00Z",
                     subject="Proposal v2", body="Our genuine proposal\n")
    dbt(world["url"], world["runs"], command="run")

    assert emails_with(world, mid) == {email_id(world["tenant"], "deal-1@acme.com"): ("Proposal v2", "me@acme.com", 2)}
    providers = query(world["url"], "select m.provider, count(*) as n from product.email_mailboxes as m"
                                    " join integrations.connections as c on c.id = m.connection_id"
                                    " where m.provider_message_id in ('s1', 'o1') group by 1 order by 1")
    assert [(p["provider"], p["n"]) for p in providers] == [("google", 1), ("microsoft", 1)]


def test_a_spoofed_outlook_copy_is_kept_apart(world):
    mid = "<deal-2@acme.com>"
    stage_sent_in_gmail(world, "s2", mid)
    dbt(world["url"], world["runs"], command="run")
    stage_in_outlook(world, "o2", mid, sender="mallory@evil.example", date="2024-01-16T08:00:00Z",
                     subject="URGENT: new bank details", body="Pay to account 666\n")
    dbt(world["url"], world["runs"], command="run")

    key = "deal-2@acme.com"
    assert emails_with(world, mid) == {
        email_id(world["tenant"], key): ("Proposal v2", "me@acme.com", 1),
        email_id(world["tenant"], f"{key}|mallory@evil.example|2024-01-16T08:00:00Z"): (
            "URGENT: new bank details", "mallory@evil.example", 1)}


def test_a_spoof_arriving_first_gives_the_key_back_when_the_senders_copy_arrives(world):
    mid = "<deal-3@acme.com>"
    # same sender as the genuine mail, another date: still not the tenant's email
    stage_in_outlook(world, "o3", mid, sender="me@acme.com", date="2024-01-16T08:00:00Z",
                     subject="Updated bank details", body="Pay to account 666\n")
    dbt(world["url"], world["runs"], command="run")
    assert emails_with(world, mid) == {email_id(world["tenant"], "deal-3@acme.com"): (
        "Updated bank details", "me@acme.com", 1)}

    stage_sent_in_gmail(world, "s3", mid)
    dbt(world["url"], world["runs"], command="run")

    key = "deal-3@acme.com"
    assert emails_with(world, mid) == {
        email_id(world["tenant"], key): ("Proposal v2", "me@acme.com", 1),
        email_id(world["tenant"], f"{key}|me@acme.com|2024-01-16T08:00:00Z"): ("Updated bank details", "me@acme.com", 1)}
    mailboxes = query(world["url"], "select provider_message_id, email_id from product.email_mailboxes"
                                    " where provider_message_id in ('s3', 'o3') order by 1")
    assert [(m["provider_message_id"], str(m["email_id"])) for m in mailboxes] == [
        ("o3", email_id(world["tenant"], f"{key}|me@acme.com|2024-01-16T08:00:00Z")),
        ("s3", email_id(world["tenant"], key))]


def stage_google_meeting(world, event_id: str, uid: str):
    with connect(world["url"]) as conn:
        stage_calendar(conn, world["me"], world["tenant"], {f"primary/{event_id}": {
            "id": event_id, "iCalUID": uid, "status": "confirmed", "summary": "Board review",
            "start": {"dateTime": "2026-03-04T09:00:00Z"}, "end": {"dateTime": "2026-03-04T10:00:00Z"},
            "organizer": {"email": "me@acme.com", "self": True}, "created": "2026-02-01T00:00:00Z",
            "updated": "2026-02-01T00:00:00Z",
            "attendees": [{"email": "me@acme.com", "organizer": True, "responseStatus": "accepted"},
                          {"email": "bob@acme.com", "responseStatus": "needsAction"}]}})
        conn.commit()


def stage_outlook_invite(world, event_id: str, uid: str, *, organizer: str, subject: str):
    with connect(world["url"]) as conn:
        stage_events(conn, world["bob"], world["tenant"], {event_id: graph_event(
            event_id, subject=subject, ical_uid=uid, organizer=organizer, is_organizer=False,
            start="2026-03-04T09:00:00", end="2026-03-04T10:00:00", attendees=[("bob@acme.com", "none", "required")])})
        conn.commit()


def meetings_with(world, uid: str) -> dict:
    return {str(r["meeting_id"]): (r["title"], r["organizer_address"]) for r in query(
        world["url"], "select * from product.meetings where ical_uid = %s", (uid,))}


def test_an_outlook_invite_from_the_same_organizer_is_the_google_meeting(world):
    uid = "board-1@acme.com"
    stage_google_meeting(world, "g1", uid)
    stage_outlook_invite(world, "e1", uid, organizer="Me@Acme.com", subject="Board review")
    dbt(world["url"], world["runs"], command="run")
    assert meetings_with(world, uid) == {email_id(world["tenant"], uid): ("Board review", "me@acme.com")}


def test_an_outsiders_outlook_invite_reusing_the_ical_uid_is_another_meeting_whichever_arrives_first(world):
    uid = "board-2@acme.com"
    stage_outlook_invite(world, "e2", uid, organizer="mallory@evil.example", subject="Urgent call")
    dbt(world["url"], world["runs"], command="run")
    assert meetings_with(world, uid) == {email_id(world["tenant"], uid): ("Urgent call", "mallory@evil.example")}

    stage_google_meeting(world, "g2", uid)
    dbt(world["url"], world["runs"], command="run")
    assert meetings_with(world, uid) == {
        email_id(world["tenant"], uid): ("Board review", "me@acme.com"),
        email_id(world["tenant"], f"{uid}|organizer:mallory@evil.example"): ("Urgent call", "mallory@evil.example")}


def test_cross_provider_identity_incrementally_equals_a_full_refresh(world):
    dbt(world["url"], world["runs"])
    incremental = dump_all(world["url"])
    dbt(world["url"], world["runs"], full_refresh=True)
    assert dump_all(world["url"]) == incremental
