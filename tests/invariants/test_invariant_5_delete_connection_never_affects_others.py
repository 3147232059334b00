"""Invariant 5: deleting a connection removes everything normalized from it and never affects
another connection or tenant.

Two tenants: acme (me@ and bob@, who share one email and one meeting) and globex (cleo@). Bob's
connection is deleted the way `integrations connections delete` deletes it; the next incremental
normalize must succeed with every data test passing, drop what came only from Bob, keep the shared
email and meeting (now held by me@ alone), and leave every row of the other connections as it was.
Afterwards new mail of the other tenant reaches product.emails on the next incremental run.
"""

from __future__ import annotations

import uuid

import pytest

from tests.normalize.helpers import create_connection, dbt, make_message, query, stage_calendar, stage_gmail
from worker.connections import delete_connection
from worker.db.connect import connect

SHARED_ID = "<shared-plan@partner.example>"


def _event(event_id, organizer, attendees, summary="Review"):
    return {"id": event_id, "iCalUID": f"{event_id}@google.com", "status": "confirmed", "summary": summary,
            "start": {"dateTime": "2024-03-04T09:00:00Z", "timeZone": "UTC"},
            "end": {"dateTime": "2024-03-04T10:00:00Z", "timeZone": "UTC"},
            "organizer": {"email": organizer}, "updated": "2024-03-01T00:00:00Z",
            "attendees": [{"email": a, "responseStatus": "accepted"} for a in attendees]}


def _rows_of(url, connection_ids, tenant_ids) -> dict:
    """Every product row that belongs to these connections (mailboxes, and the emails, participants
    they hold) or, for meetings, to these tenants' calendars."""
    ids = [str(c) for c in connection_ids]
    tenants = [str(t) for t in tenant_ids]
    return {
        "emails": query(url, "select * from product.emails where email_id in (select email_id from"
                             " product.email_mailboxes where connection_id::text = any(%s)) order by email_id", (ids,)),
        "participants": query(url, "select * from product.email_participants where email_id in (select email_id"
                                   " from product.email_mailboxes where connection_id::text = any(%s))"
                                   " order by participant_id", (ids,)),
        "mailboxes": query(url, "select * from product.email_mailboxes where connection_id::text = any(%s)"
                                " order by mailbox_message_id", (ids,)),
        "meetings": query(url, "select * from product.meetings where tenant_id::text = any(%s) order by meeting_id",
                          (tenants,)),
        "attendees": query(url, "select * from product.meeting_attendees where meeting_id in (select meeting_id"
                                " from product.meetings where tenant_id::text = any(%s)) order by attendee_id",
                           (tenants,)),
    }


@pytest.fixture
def world(make_database, tmp_path_factory):
    """Two tenants, normalized once; a database of its own per test, so each runs in any order."""
    url = make_database.create(prefix="inv5")
    acme, globex = uuid.uuid4(), uuid.uuid4()
    with connect(url) as conn:
        me = create_connection(conn, acme, "me@acme.com")
        bob = create_connection(conn, acme, "bob@acme.com")
        cleo = create_connection(conn, globex, "cleo@globex.com")
        shared = make_message(subject="Quarterly plan", sender="Jane <jane@partner.example>",
                              to="me@acme.com, bob@acme.com", message_id=SHARED_ID)
        stage_gmail(conn, me, acme, {"m-shared": shared,
                                     "m-only": make_message(subject="Mine", message_id="<mine@acme.com>")})
        stage_gmail(conn, bob, acme, {"b-shared": shared,
                                      "b-only": make_message(subject="Bob only", to="bob@acme.com",
                                                             message_id="<bob-only@partner.example>")})
        stage_gmail(conn, cleo, globex, {"c-1": make_message(subject="Globex news", to="cleo@globex.com",
                                                             message_id="<news@globex.example>")})
        stage_calendar(conn, me, acme, {"primary/review": _event("review", "me@acme.com",
                                                                 ["me@acme.com", "bob@acme.com"])})
        stage_calendar(conn, bob, acme, {"primary/review": _event("review", "me@acme.com",
                                                                  ["me@acme.com", "bob@acme.com"]),
                                         "primary/bob1on1": _event("bob1on1", "bob@acme.com",
                                                                   ["bob@acme.com", "x@partner.example"])})
        stage_calendar(conn, cleo, globex, {"primary/board": _event("board", "cleo@globex.com",
                                                                    ["cleo@globex.com"], summary="Board")})
        conn.commit()
    runs = tmp_path_factory.mktemp("dbt-runs")
    dbt(url, runs)
    return {"url": url, "acme": acme, "globex": globex, "me": me, "bob": bob, "cleo": cleo, "runs": runs}


def test_deleting_a_connection_then_normalizing_succeeds_and_keeps_other_connections_unchanged(world):
    url = world["url"]
    cleo_before = _rows_of(url, [world["cleo"]], [world["globex"]])
    mine_before = query(url, "select * from product.emails where message_id_header = '<mine@acme.com>'")
    assert [r["subject"] for r in mine_before] == ["Mine"]
    assert query(url, "select mailbox_count from product.emails where message_id_header = %s",
                 (SHARED_ID,)) == [{"mailbox_count": 2}]

    with connect(url) as conn:
        delete_connection(conn, world["bob"])
        conn.commit()
    output = dbt(url, world["runs"])  # an incremental `dbt build`: models, then every data test

    assert "WARN=0 ERROR=0 SKIP=0" in output, output[-3000:]
    # what came only from Bob is gone; the shared email and meeting stay, held by me@ alone
    assert sorted(r["subject"] for r in query(url, "select subject from product.emails")) == [
        "Globex news", "Mine", "Quarterly plan"]
    assert sorted((str(r["connection_id"]), r["provider_message_id"]) for r in query(
        url, "select connection_id, provider_message_id from product.email_mailboxes")) == sorted([
            (str(world["me"]), "m-shared"), (str(world["me"]), "m-only"), (str(world["cleo"]), "c-1")])
    shared = query(url, "select * from product.emails where message_id_header = %s", (SHARED_ID,))
    assert [(r["mailbox_count"], r["is_deleted"], r["direction"]) for r in shared] == [(1, False, "inbound")]
    assert query(url, "select count(*) as n from product.email_participants where email_id not in"
                      " (select email_id from product.emails)") == [{"n": 0}]
    assert sorted(r["ical_uid"] for r in query(url, "select ical_uid from product.meetings")) == [
        "board@google.com", "review@google.com"]
    assert query(url, "select count(*) as n from product.meeting_attendees where meeting_id not in"
                      " (select meeting_id from product.meetings)") == [{"n": 0}]
    for table in ("int_gmail_messages_latest", "int_google_calendar_events_latest"):
        leftovers = query(url, f"select object_key from integrations_staging.{table}"
                               " where connection_id = %s and subject_or_title is not null"
                          .replace("subject_or_title", "subject" if "gmail" in table else "title"), (world["bob"],))
        assert leftovers == [], f"{table} still holds Bob's content"
    # nothing of another connection or tenant changed
    assert _rows_of(url, [world["cleo"]], [world["globex"]]) == cleo_before
    assert query(url, "select * from product.emails where message_id_header = '<mine@acme.com>'") == mine_before


def test_new_mail_of_another_tenant_reaches_product_emails_on_the_next_incremental_run(world):
    with connect(world["url"]) as conn:  # Bob's connection is deleted and normalized away first
        delete_connection(conn, world["bob"])
        conn.commit()
    dbt(world["url"], world["runs"])
    with connect(world["url"]) as conn:
        stage_gmail(conn, world["cleo"], world["globex"], {"c-2": make_message(
            subject="After the deletion", to="cleo@globex.com", message_id="<after@globex.example>")})
        conn.commit()

    output = dbt(world["url"], world["runs"])

    assert "WARN=0 ERROR=0 SKIP=0" in output, output[-3000:]
    assert query(world["url"], "select subject, mailbox_count from product.emails"
                               " where message_id_header = '<after@globex.example>'") == [
        {"subject": "After the deletion", "mailbox_count": 1}]
    # the removal markers were read by every product model: nothing of Bob is left anywhere
    for table in ("int_gmail_messages_latest", "int_google_calendar_events_latest"):
        assert query(world["url"], f"select count(*) as n from integrations_staging.{table}"
                                   " where connection_id = %s", (world["bob"],)) == [{"n": 0}]
    assert query(world["url"], "select count(*) as n from integrations.raw_record_removals") == [{"n": 0}]


def test_a_failing_data_test_warns_is_recorded_and_blocks_no_model(world):
    with connect(world["url"]) as conn:
        # a row that breaks a data test (accepted_values on meetings.status), in tenant globex
        stage_calendar(conn, world["cleo"], world["globex"], {"primary/odd": {
            **_event("odd", "cleo@globex.com", ["cleo@globex.com"]), "status": "postponed"}})
        stage_gmail(conn, world["me"], world["acme"], {"m-later": make_message(
            subject="Still normalized", message_id="<later@acme.com>")})
        conn.commit()

    output = dbt(world["url"], world["runs"], expect_ok=False)

    assert "ERROR=0 SKIP=0" in output and " WARN=1 " in output, output[-3000:]
    assert [r["subject"] for r in query(world["url"], "select subject from product.emails"
                                                      " where message_id_header = '<later@acme.com>'")] == [
        "Still normalized"]
    failing = query(world["url"], "select test_name, status, failures from integrations_staging.normalize_test_results"
                                  " where status <> 'pass'")
    assert [(r["test_name"].startswith("accepted_values_meetings_status"), r["status"], r["failures"])
            for r in failing] == [(True, "warn", 1)]
    _status_shows_the_failing_test(world["url"])


def _status_shows_the_failing_test(url: str) -> None:
    """The operator sees the warning in `integrations status`, not only in dbt's log."""
    from click.testing import CliRunner

    from worker.cli import cli
    from worker.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["status"], env={"INTEGRATIONS_DATABASE_URL": url})
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "normalization: 1 data test(s) did not pass on the last run" in result.output
    assert "accepted_values_meetings_status" in result.output and "(warn, 1 failing rows)" in result.output
