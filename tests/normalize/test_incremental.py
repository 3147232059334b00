"""Incremental normalization against a real database: dedup across mailboxes, tombstones,
quarantine, late commits under the txid watermark, and equality with a full refresh.

Each test has a database of its own and seeds the history it needs (`dbt run` for the seeding,
`dbt build` with every unit and data test where the build itself is under test), so the module
passes in any order: nothing depends on the rows or models an earlier test left behind.
"""

from __future__ import annotations

import uuid

import pytest

from tests.normalize.gmail_payloads import gmail_full
from tests.normalize.helpers import create_connection, dbt, dump_all, make_message, query, stage_calendar, stage_gmail
from worker.db.connect import connect
from worker.store.staging import RawObject, stage_records

MSG_ID = "<shared-1@example.com>"


@pytest.fixture
def world(make_database, tmp_path):
    """A database of this test's own with two mailboxes of one tenant, nothing staged yet."""
    url = make_database.create(prefix="nz_incr")
    tenant = uuid.uuid4()
    with connect(url) as conn:
        me = create_connection(conn, tenant, "me@acme.com")
        colleague = create_connection(conn, tenant, "bob@acme.com")
        conn.commit()
    runs = tmp_path / "dbt-runs"
    runs.mkdir()
    return {"url": url, "tenant": tenant, "me": me, "bob": colleague, "runs": runs}


def _shared_message() -> bytes:
    return make_message(subject="Quarterly plan", sender='"Doe, Jane" <Jane@Partner.com>',
                        to="me@acme.com, Bob <bob@acme.com>", message_id=MSG_ID)


def _stage_two_mailboxes(world) -> None:
    """The same message in both mailboxes, plus one outbound and one internal message."""
    shared = _shared_message()
    with connect(world["url"]) as conn:
        stage_gmail(conn, world["me"], world["tenant"], {"m-a": shared, "m-own": make_message(
            sender="Me <me@acme.com>", to="someone@else.org")})
        stage_gmail(conn, world["bob"], world["tenant"], {"b-a": shared, "b-internal": make_message(
            sender="bob@acme.com", to="me@acme.com")})
        conn.commit()


def _normalized_two_mailboxes(world) -> None:
    """The history most tests start from: the two mailboxes staged and normalized once."""
    _stage_two_mailboxes(world)
    dbt(world["url"], world["runs"], command="run")


def test_same_message_in_two_mailboxes_is_one_email(world):
    _stage_two_mailboxes(world)

    dbt(world["url"], world["runs"])

    emails = query(world["url"], "select * from product.emails where message_id_header = %s", (MSG_ID,))
    assert len(emails) == 1
    email = emails[0]
    assert (email["subject"], email["from_address"], email["from_name"]) == ("Quarterly plan", "jane@partner.com", "Doe, Jane")  # noqa: E501
    assert email["direction"] == "inbound" and email["mailbox_count"] == 2
    mailboxes = query(world["url"], "select connection_id, provider_message_id from product.email_mailboxes"
                      " where email_id = %s order by provider_message_id", (email["email_id"],))
    assert [(m["connection_id"], m["provider_message_id"]) for m in mailboxes] == [
        (world["bob"], "b-a"), (world["me"], "m-a")]
    participants = query(world["url"], "select role, address, display_name from product.email_participants"
                         " where email_id = %s order by role, position", (email["email_id"],))
    assert [(p["role"], p["address"], p["display_name"]) for p in participants] == [
        ("from", "jane@partner.com", "Doe, Jane"), ("to", "me@acme.com", None), ("to", "bob@acme.com", "Bob")]
    directions = {r["provider_message_id"]: r["direction"] for r in query(
        world["url"], "select m.provider_message_id, e.direction from product.emails e"
        " join product.email_mailboxes m using (email_id)")}
    assert directions["m-own"] == "outbound" and directions["b-internal"] == "internal"


def test_an_incremental_run_reads_only_new_raw_rows(world):
    _normalized_two_mailboxes(world)
    before = {r["object_key"]: r["changed_txid"] for r in query(
        world["url"], "select object_key, changed_txid from integrations_staging.int_gmail_messages_latest")}
    with connect(world["url"]) as conn:
        stage_gmail(conn, world["me"], world["tenant"], {"m-new": make_message(subject="New one")})
        conn.commit()

    dbt(world["url"], world["runs"], command="run")

    after = {r["object_key"]: r["changed_txid"] for r in query(
        world["url"], "select object_key, changed_txid from integrations_staging.int_gmail_messages_latest")}
    rebuilt = {key for key, txid in after.items() if before.get(key) != txid}
    assert rebuilt == {f"{world['me']}/m-new"}


def test_latest_version_wins_and_tombstones_flag_mailboxes(world):
    _normalized_two_mailboxes(world)
    shared = _shared_message()
    with connect(world["url"]) as conn:
        stage_gmail(conn, world["me"], world["tenant"], {"m-a": shared}, labels=("INBOX", "STARRED"))
        stage_gmail(conn, world["bob"], world["tenant"], {"b-a": None})  # Bob deletes it for good
        conn.commit()

    dbt(world["url"], world["runs"], command="run")

    rows = {r["provider_message_id"]: r for r in query(
        world["url"], "select m.* from product.email_mailboxes m join product.emails e using (email_id)"
        " where e.message_id_header = %s", (MSG_ID,))}
    assert rows["m-a"]["labels"] == ["INBOX", "STARRED"] and not rows["m-a"]["is_deleted"]
    assert rows["b-a"]["is_deleted"] is True
    email = query(world["url"], "select * from product.emails where message_id_header = %s", (MSG_ID,))
    assert email[0]["is_deleted"] is False  # the email itself is still in one mailbox

    with connect(world["url"]) as conn:
        stage_gmail(conn, world["me"], world["tenant"], {"m-a": None})
        conn.commit()
    dbt(world["url"], world["runs"], command="run")

    email = query(world["url"], "select * from product.emails where message_id_header = %s", (MSG_ID,))
    assert len(email) == 1 and email[0]["is_deleted"] is True, "deleted everywhere: flagged, not dropped"
    assert email[0]["subject"] == "Quarterly plan"


def test_a_row_committed_late_by_a_concurrent_writer_is_not_skipped(world):
    _normalized_two_mailboxes(world)  # the late row meets an incremental run, not a first build
    late_writer = connect(world["url"])
    try:
        # opened first: its raw row gets the smaller id, but commits only after the next run
        late_writer.execute("select pg_current_xact_id()")  # open the transaction (staging nests in it)
        stage_gmail(late_writer, world["me"], world["tenant"], {"late": make_message(subject="Late")})
        with connect(world["url"]) as conn:  # another mailbox: writers of one mailbox serialize (invariant 4)
            stage_gmail(conn, world["bob"], world["tenant"], {"early": make_message(subject="Early")})
            conn.commit()
        ids = {r["external_id"]: r["id"] for r in query(
            world["url"], "select external_id, id from integrations.raw_records where external_id = 'early'")}
        assert ids  # the early row is committed, the late one is not visible yet

        dbt(world["url"], world["runs"], command="run")
        subjects = {r["subject"] for r in query(world["url"], "select subject from product.emails")}
        assert "Early" in subjects and "Late" not in subjects

        late_writer.commit()
    finally:
        late_writer.close()
    late_id = query(world["url"], "select id from integrations.raw_records where external_id = 'late'")[0]["id"]
    assert late_id < ids["early"], "the late row has the smaller id: an id watermark would skip it"

    dbt(world["url"], world["runs"], command="run")
    subjects = {r["subject"] for r in query(world["url"], "select subject from product.emails")}
    assert "Late" in subjects


def test_a_bad_record_is_quarantined_and_the_rest_is_normalized(world):
    _normalized_two_mailboxes(world)
    broken = {"id": "broken", "internalDate": "1705312800000", "payload": {
        "partId": "", "mimeType": "text/plain", "filename": "", "headers": [{"name": "Subject", "value": "x"}],
        "body": {"size": 3, "data": "@@not base64@@"}}}
    impossible = {"id": "no-date", "internalDate": "-5", "payload": {"mimeType": "text/plain", "body": {}}}
    with connect(world["url"]) as conn:
        stage_gmail(conn, world["me"], world["tenant"], {
            "broken": broken, "no-date": impossible, "fine": make_message(subject="Fine")})
        conn.commit()

    dbt(world["url"], world["runs"], command="run")

    reasons = {r["external_id"]: r["reason"] for r in query(
        world["url"], "select external_id, reason from integrations_staging.normalize_quarantine")}
    assert reasons == {"broken": "invalid base64 in part ", "no-date": "impossible internalDate: -5"}
    subjects = {r["subject"] for r in query(world["url"], "select subject from product.emails")}
    assert "Fine" in subjects


def _event(event_id, **extra):
    return {"id": event_id, "iCalUID": f"{event_id}@google.com", "status": "confirmed", "summary": "Review",
            "start": {"dateTime": "2024-03-04T09:00:00Z", "timeZone": "UTC"},
            "end": {"dateTime": "2024-03-04T10:00:00Z", "timeZone": "UTC"},
            "organizer": {"email": "me@acme.com"}, "updated": "2024-03-01T00:00:00Z",
            "attendees": [{"email": "Me@acme.com", "organizer": True, "responseStatus": "accepted"},
                          {"email": "bob@acme.com", "displayName": "Bob", "responseStatus": "needsAction"}],
            **extra}


def test_meetings_are_one_per_ical_uid_and_instances_find_their_series(world):
    _normalized_two_mailboxes(world)
    cancelled = {"id": "weekly_20240318T090000Z", "recurringEventId": "weekly", "status": "cancelled",
                 "originalStartTime": {"dateTime": "2024-03-18T09:00:00Z"}}
    with connect(world["url"]) as conn:
        stage_calendar(conn, world["me"], world["tenant"], {
            "primary/review": _event("review", organizer={"email": "me@acme.com", "self": True}),
            "primary/offsite": _event("offsite", start={"date": "2024-04-01"}, end={"date": "2024-04-03"}),
            "primary/weekly_20240318T090000Z": cancelled})  # the instance arrives before its series
        stage_calendar(conn, world["bob"], world["tenant"], {
            "primary/review": _event("review", attendees=[
                {"email": "me@acme.com", "organizer": True, "responseStatus": "accepted"},
                {"email": "bob@acme.com", "self": True, "responseStatus": "declined"}])})
        conn.commit()
    dbt(world["url"], world["runs"], command="run")

    review = query(world["url"], "select * from product.meetings where ical_uid = 'review@google.com'")
    assert len(review) == 1, "the same meeting in two calendars is one row"
    attendees = query(world["url"], "select address, response_status, is_organizer from product.meeting_attendees"
                      " where meeting_id = %s order by address", (review[0]["meeting_id"],))
    assert [tuple(a.values()) for a in attendees] == [
        ("bob@acme.com", "needsAction", False), ("me@acme.com", "accepted", True)], "the organizer's copy wins"
    offsite = query(world["url"], "select * from product.meetings where ical_uid = 'offsite@google.com'")[0]
    assert offsite["is_all_day"] and str(offsite["start_date"]) == "2024-04-01" and str(offsite["end_date"]) == "2024-04-03"

    with connect(world["url"]) as conn:
        stage_calendar(conn, world["me"], world["tenant"], {"primary/weekly": _event(
            "weekly", iCalUID="Weekly-Series-UID", recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO"])})
        conn.commit()
    dbt(world["url"], world["runs"])  # incremental build: data tests on incremental state

    series = query(world["url"], "select * from product.meetings where ical_uid = 'Weekly-Series-UID'"
                   " order by original_start nulls first")
    assert [(m["status"], m["original_start"]) for m in series] == [
        ("confirmed", None), ("cancelled", "2024-03-18T09:00:00Z")]
    assert series[1]["recurring_meeting_id"] == series[0]["meeting_id"]
    assert series[0]["recurrence_rule"] == "RRULE:FREQ=WEEKLY;BYDAY=MO"


def test_a_label_record_sets_the_mailbox_labels_until_a_newer_full_version(world):
    def mailbox_row():
        return query(world["url"], "select m.labels, e.subject from product.email_mailboxes m"
                     " join product.emails e using (email_id) where m.provider_message_id = 'm-new'")[0]

    _normalized_two_mailboxes(world)
    with connect(world["url"]) as conn:
        stage_gmail(conn, world["me"], world["tenant"], {"m-new": make_message(subject="New one")})
        conn.commit()
    dbt(world["url"], world["runs"], command="run")
    before = {r["object_key"]: r["changed_txid"] for r in query(
        world["url"], "select object_key, changed_txid from integrations_staging.int_gmail_messages_latest")}
    with connect(world["url"]) as conn:  # a label-only change: the sync's format=minimal answer
        assert stage_records(conn, world["me"], world["tenant"], "sync_inbox_live", "gmail.labels", [RawObject(
            "m-new", {"id": "m-new", "threadId": "m-new", "labelIds": ["INBOX", "IMPORTANT"], "historyId": "1005",
                      "internalDate": "1705312800000", "sizeEstimate": 300})]) == 1
        conn.commit()
    dbt(world["url"], world["runs"], command="run")

    after = {r["object_key"]: r["changed_txid"] for r in query(
        world["url"], "select object_key, changed_txid from integrations_staging.int_gmail_messages_latest")}
    assert {key for key, txid in after.items() if before.get(key) != txid} == {f"{world['me']}/m-new"}
    assert (mailbox_row()["labels"], mailbox_row()["subject"]) == (["INBOX", "IMPORTANT"], "New one")

    with connect(world["url"]) as conn:  # then a newer full version: its content and its labels
        payload = gmail_full(make_message(subject="New one, edited"), message_id="m-new", labels=("INBOX",))
        stage_gmail(conn, world["me"], world["tenant"], {"m-new": {**payload, "historyId": "1010"}})
        conn.commit()
    dbt(world["url"], world["runs"], command="run")
    assert (mailbox_row()["labels"], mailbox_row()["subject"]) == (["INBOX"], "New one, edited")


def test_incremental_runs_equal_a_full_refresh_row_for_row(world):
    """A history of incremental runs (new mail, a label change, tombstones, a quarantined record,
    a late commit, meetings whose series arrives after its instance) ends where one full refresh does."""
    _normalized_two_mailboxes(world)
    broken = {"id": "broken", "internalDate": "1705312800000", "payload": {
        "partId": "", "mimeType": "text/plain", "filename": "", "headers": [{"name": "Subject", "value": "x"}],
        "body": {"size": 3, "data": "@@not base64@@"}}}
    late_writer = connect(world["url"])
    try:
        # opened first, committed only after the next run; writers of one mailbox serialize
        # (invariant 4), so meanwhile only the other mailbox is written
        late_writer.execute("select pg_current_xact_id()")
        stage_gmail(late_writer, world["bob"], world["tenant"], {"late": make_message(subject="Late")})
        with connect(world["url"]) as conn:
            stage_gmail(conn, world["me"], world["tenant"], {"m-a": _shared_message(), "m-new": make_message(
                subject="New one"), "broken": broken}, labels=("INBOX", "STARRED"))
            stage_calendar(conn, world["me"], world["tenant"], {
                "primary/review": _event("review", organizer={"email": "me@acme.com", "self": True}),
                "primary/weekly_20240318T090000Z": {
                    "id": "weekly_20240318T090000Z", "recurringEventId": "weekly", "status": "cancelled",
                    "originalStartTime": {"dateTime": "2024-03-18T09:00:00Z"}}})
            conn.commit()
        dbt(world["url"], world["runs"], command="run")
        late_writer.commit()
    finally:
        late_writer.close()
    with connect(world["url"]) as conn:
        stage_gmail(conn, world["bob"], world["tenant"], {"b-a": None, "early": make_message(subject="Early")})
        stage_calendar(conn, world["bob"], world["tenant"], {"primary/review": _event("review")})
        stage_gmail(conn, world["me"], world["tenant"], {"m-own": None})
        stage_calendar(conn, world["me"], world["tenant"], {"primary/weekly": _event(
            "weekly", iCalUID="Weekly-Series-UID", recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO"])})
        conn.commit()
    dbt(world["url"], world["runs"])  # incremental build: data tests on incremental state
    incremental = dump_all(world["url"])
    # every table this world's Gmail and Calendar records feed has rows (chat, texts, calls, customers,
    # invoices and payments have their own incremental-equals-full-refresh tests in tests/normalize_slack,
    # normalize_twilio and normalize_quickbooks)
    assert all(rows for table, rows in incremental.items() if table.startswith(("product.email", "product.meeting"))), \
        "every email and meeting table has rows"
    assert {"Late", "Early", "New one", "Quarterly plan"} <= {
        r["subject"] for r in query(world["url"], "select subject from product.emails")}

    dbt(world["url"], world["runs"], full_refresh=True)

    assert dump_all(world["url"]) == incremental
