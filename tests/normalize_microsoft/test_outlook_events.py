"""Outlook events (Graph JSON staged as `outlook.event`) become product meetings through the
provider-neutral layer: single events, a recurring series (master, occurrences, an exception, a
cancelled occurrence) keyed like Google's (the series' iCalUID plus the original start), all-day
events, attendees and organizer, tombstones, quarantine; the same meeting in a Google and an Outlook
calendar of one tenant is one meetings row; incremental runs equal a full refresh."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime, timezone

import pytest

from tests.normalize.helpers import create_connection, dbt, dump_all, query, stage_calendar
from tests.normalize_microsoft.graph_payloads import (
    create_microsoft_connection,
    graph_event,
    removed,
    stage_events,
)
from worker.db.connect import connect

SERIES_UID = "040000008200E00074C5B7101A82E00800000000SERIES"
WEEKLY = {"pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"], "firstDayOfWeek": "sunday"},
          "range": {"type": "endDate", "startDate": "2026-03-02", "endDate": "2026-03-30",
                    "recurrenceTimeZone": "UTC"}}


def key_id(tenant, key: str) -> uuid.UUID:
    return uuid.UUID(hashlib.md5(f"{tenant}|{key}".encode()).hexdigest())


def occurrence(event_id: str, day: int, **overrides) -> dict:
    start = f"2026-03-{day:02d}T09:00:00"
    fields = dict(subject="Weekly sync", ical_uid=f"OCC-{event_id}", start=start, end=f"2026-03-{day:02d}T10:00:00",
                  event_type="occurrence", series_master_id="series-1", original_start=f"{start}Z",
                  attendees=[("bob@acme.com", "accepted", "required")])
    fields.update(overrides)
    return graph_event(event_id, **fields)


@pytest.fixture(scope="module")
def world(make_database, tmp_path_factory):
    url = make_database.create(prefix="nz_outlook_cal")
    tenant = uuid.uuid4()
    with connect(url) as conn:
        me = create_microsoft_connection(conn, tenant, "me@acme.com")
        bob = create_connection(conn, tenant, "bob@acme.com")  # Google Calendar
        conn.commit()
    world = {"url": url, "tenant": tenant, "me": me, "bob": bob, "runs": tmp_path_factory.mktemp("dbt-runs")}
    with connect(url) as conn:
        stage_events(conn, me, tenant, {
            "single": graph_event("single", subject="Kick-off", ical_uid="kickoff@acme.com",
                                  start="2026-03-03T14:30:00", end="2026-03-03T15:00:00",
                                  join_url="https://teams.example/l/meetup-join/1",
                                  attendees=[("Bob@Acme.com", "tentativelyAccepted", "required"),
                                             ("carol@client.example", "declined", "optional"),
                                             ("dan@client.example", "none", "required")]),
            "series-1": graph_event("series-1", subject="Weekly sync", ical_uid=SERIES_UID, event_type="seriesMaster",
                                    recurrence=WEEKLY, attendees=[("bob@acme.com", "accepted", "required")]),
            "occ-1": occurrence("occ-1", 2),
            "occ-2": occurrence("occ-2", 9),
            "exc-3": occurrence("exc-3", 16, event_type="exception", subject="Weekly sync (moved)",
                                start="2026-03-17T11:00:00", end="2026-03-17T12:00:00"),
            "occ-4": occurrence("occ-4", 23, is_cancelled=True),
            "allday": graph_event("allday", subject="Offsite", ical_uid="offsite@acme.com", is_all_day=True,
                                  start="2026-03-05T00:00:00", end="2026-03-07T00:00:00"),
            "doomed": graph_event("doomed", subject="Soon deleted", ical_uid="doomed@acme.com"),
            # the shared meeting, organized by bob in Google; this is my (invited) Outlook copy
            "shared": graph_event("shared", subject="Board review", ical_uid="board@acme.com",
                                  organizer="bob@acme.com", organizer_name="Bob", is_organizer=False,
                                  start="2026-03-04T09:00:00", end="2026-03-04T10:00:00",
                                  attendees=[("me@acme.com", "accepted", "required")]),
            "bad": {**graph_event("bad", ical_uid="bad@acme.com"), "start": {"dateTime": "2026-02-30T09:00:00",
                                                                             "timeZone": "UTC"}},
        })
        stage_calendar(conn, bob, tenant, {"primary/board1": {
            "id": "board1", "iCalUID": "board@acme.com", "status": "confirmed", "summary": "Board review",
            "start": {"dateTime": "2026-03-04T09:00:00Z"}, "end": {"dateTime": "2026-03-04T10:00:00Z"},
            "organizer": {"email": "bob@acme.com", "self": True}, "created": "2026-02-01T00:00:00Z",
            "updated": "2026-02-01T00:00:00Z",
            "attendees": [{"email": "bob@acme.com", "organizer": True, "responseStatus": "accepted"},
                          {"email": "me@acme.com", "responseStatus": "accepted"}]}})
        conn.commit()
    dbt(url, world["runs"])
    return world


def meeting(world, key: str) -> dict:
    [row] = query(world["url"], "select * from product.meetings where meeting_id = %s",
                  (key_id(world["tenant"], key),))
    return row


def attendees(world, meeting_id) -> list[tuple]:
    return [(a["address"], a["response_status"], a["is_organizer"], a["is_optional"]) for a in query(
        world["url"], "select * from product.meeting_attendees where meeting_id = %s order by address", (meeting_id,))]


def test_a_single_event_is_a_meeting_with_its_organizer_and_attendees(world):
    row = meeting(world, "kickoff@acme.com")
    assert (row["title"], row["description"], row["location"], row["status"], row["organizer_address"]) == (
        "Kick-off", "Agenda", "Room 1", "confirmed", "me@acme.com")
    assert (row["start_at"], row["end_at"], row["is_all_day"], row["time_zone"]) == (
        datetime(2026, 3, 3, 14, 30, tzinfo=timezone.utc), datetime(2026, 3, 3, 15, 0, tzinfo=timezone.utc),
        False, "UTC")
    assert row["conference_url"] == "https://teams.example/l/meetup-join/1"
    assert attendees(world, row["meeting_id"]) == [
        ("bob@acme.com", "tentative", False, False), ("carol@client.example", "declined", False, True),
        ("dan@client.example", "needsAction", False, False), ("me@acme.com", "accepted", True, False)]


def test_a_recurring_series_is_keyed_by_the_masters_ical_uid_and_the_original_start(world):
    master = meeting(world, SERIES_UID)
    assert master["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260330"]
    assert master["recurrence_rule"] == "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260330"
    first = meeting(world, f"{SERIES_UID}|2026-03-02T09:00:00Z")
    assert (first["ical_uid"], first["recurring_meeting_id"], first["status"]) == (
        SERIES_UID, master["meeting_id"], "confirmed")
    moved = meeting(world, f"{SERIES_UID}|2026-03-16T09:00:00Z")
    assert (moved["title"], moved["start_at"]) == ("Weekly sync (moved)", datetime(2026, 3, 17, 11, tzinfo=timezone.utc))
    assert meeting(world, f"{SERIES_UID}|2026-03-23T09:00:00Z")["status"] == "cancelled"
    assert query(world["url"], "select count(*) as n from product.meetings where ical_uid = %s",
                 (SERIES_UID,))[0]["n"] == 5


def test_an_all_day_event_has_dates_with_an_exclusive_end(world):
    row = meeting(world, "offsite@acme.com")
    assert (row["is_all_day"], row["start_date"], row["end_date"]) == (True, date(2026, 3, 5), date(2026, 3, 7))
    assert row["start_at"] == datetime(2026, 3, 5, tzinfo=timezone.utc)


def test_one_meeting_in_a_google_and_an_outlook_calendar_is_one_row(world):
    rows = query(world["url"], "select * from product.meetings where ical_uid = 'board@acme.com'")
    assert len(rows) == 1
    assert (rows[0]["meeting_id"], rows[0]["organizer_address"]) == (key_id(world["tenant"], "board@acme.com"),
                                                                     "bob@acme.com")
    copies = query(world["url"], "select provider from integrations_staging.int_calendar_events_unioned"
                                 " where meeting_id = %s order by provider", (rows[0]["meeting_id"],))
    assert [c["provider"] for c in copies] == ["google", "microsoft"]


def test_a_malformed_event_is_quarantined(world):
    reasons = query(world["url"], "select external_id, reason from integrations_staging.normalize_quarantine"
                                  " where resource_type = 'outlook.event'")
    assert [(r["external_id"], r["reason"]) for r in reasons] == [("bad", "impossible start: 2026-02-30T09:00:00")]
    assert query(world["url"], "select 1 from product.meetings where ical_uid = 'bad@acme.com'") == []


def test_a_tombstone_cancels_the_meeting_and_a_master_arriving_late_rekeys_its_instances(world):
    with connect(world["url"]) as conn:
        stage_events(conn, world["me"], world["tenant"], {
            "doomed": removed("doomed"),
            # an occurrence of a series whose master is not staged yet: a provisional key
            "late-occ": graph_event("late-occ", subject="Standup", ical_uid="OCC-late", event_type="occurrence",
                                    series_master_id="late-master", original_start="2026-03-02T08:00:00Z",
                                    start="2026-03-02T08:00:00", end="2026-03-02T08:15:00")})
        conn.commit()
    dbt(world["url"], world["runs"])
    assert meeting(world, "doomed@acme.com")["status"] == "cancelled"
    assert meeting(world, "outlook:late-master|2026-03-02T08:00:00Z")["title"] == "Standup"

    with connect(world["url"]) as conn:
        stage_events(conn, world["me"], world["tenant"], {"late-master": graph_event(
            "late-master", subject="Standup", ical_uid="standup@acme.com", event_type="seriesMaster",
            start="2026-03-02T08:00:00", end="2026-03-02T08:15:00",
            recurrence={"pattern": {"type": "relativeMonthly", "interval": 2, "daysOfWeek": ["monday"],
                                    "index": "first"},
                        "range": {"type": "numbered", "numberOfOccurrences": 6, "startDate": "2026-03-02"}})})
        conn.commit()
    dbt(world["url"], world["runs"])
    assert meeting(world, "standup@acme.com|2026-03-02T08:00:00Z")["title"] == "Standup"
    assert meeting(world, "standup@acme.com")["recurrence_rule"] == "RRULE:FREQ=MONTHLY;INTERVAL=2;BYDAY=1MO;COUNT=6"
    assert query(world["url"], "select 1 from product.meetings where ical_uid = 'outlook:late-master'") == []


def test_incremental_runs_equal_a_full_refresh(world):
    incremental = dump_all(world["url"])
    dbt(world["url"], world["runs"], full_refresh=True)
    assert dump_all(world["url"]) == incremental
