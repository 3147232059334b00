"""Calendar v3: listing, paging, sync tokens, recurring series, writes with etags."""

from __future__ import annotations

import httpx
import pytest

from sandbox.google import scopes
from tests.sandbox.conftest import USER

BASE = "/calendar/v3/calendars/primary/events"


def timed(start, end, tz="America/New_York"):
    return {"start": {"dateTime": start, "timeZone": tz}, "end": {"dateTime": end, "timeZone": tz}}


@pytest.fixture
def cal(google_client):
    return google_client(USER)


def insert(cal, **event):
    answer = cal.post(BASE, json=event)
    assert answer.status_code == 200, answer.text
    return answer.json()


def list_all(cal, **params):
    items, token, pages = [], None, 0
    while True:
        page = cal.get(BASE, params={**params, **({"pageToken": token} if token else {})}).json()
        pages += 1
        items += page["items"]
        token = page.get("nextPageToken")
        if not token:
            assert "nextSyncToken" in page
            return items, page["nextSyncToken"], pages
        assert "nextSyncToken" not in page


def test_calendar_list_has_the_primary_calendar(sandbox, cal):
    sandbox.add_calendar(USER, "team@group.calendar.google.com", "Team", "Europe/Berlin")
    items = cal.get("/calendar/v3/users/me/calendarList").json()["items"]
    assert [(i["id"], i.get("primary", False)) for i in items] == [(USER, True),
                                                                   ("team@group.calendar.google.com", False)]
    assert cal.get("/calendar/v3/users/me/calendarList/nope").status_code == 404
    assert cal.get("/calendar/v3/calendars/primary").json()["id"] == USER


def test_insert_get_and_client_chosen_ids(cal):
    event = insert(cal, id="abcdef0123", summary="Kick-off",
                   **timed("2024-06-03T10:00:00-04:00", "2024-06-03T11:00:00-04:00"))
    assert event["id"] == "abcdef0123" and event["status"] == "confirmed"
    assert event["iCalUID"] == "abcdef0123@google.com" and event["etag"].startswith('"')
    assert cal.get(f"{BASE}/abcdef0123").json()["summary"] == "Kick-off"
    duplicate = cal.post(BASE, json={"id": "abcdef0123", **timed("2024-06-03T10:00:00Z", "2024-06-03T11:00:00Z")})
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["errors"][0]["reason"] == "duplicate"
    bad = cal.post(BASE, json={"id": "UPPER_case!", **timed("2024-06-03T10:00:00Z", "2024-06-03T11:00:00Z")})
    assert bad.status_code == 400
    assert cal.post(BASE, json={"summary": "no times"}).status_code == 400
    assert cal.get(f"{BASE}/doesnotexist").status_code == 404


def test_send_updates_is_accepted_and_checked(cal):
    body = timed("2024-06-03T10:00:00Z", "2024-06-03T11:00:00Z")
    assert cal.post(BASE, params={"sendUpdates": "all"}, json=body).status_code == 200
    assert cal.post(BASE, params={"sendUpdates": "everyone"}, json=body).status_code == 400


def test_etags_and_if_match(cal):
    event = insert(cal, summary="v1", **timed("2024-06-03T10:00:00Z", "2024-06-03T11:00:00Z"))
    url = f"{BASE}/{event['id']}"
    patched = cal.patch(url, json={"summary": "v2"}, headers={"If-Match": event["etag"]})
    assert patched.status_code == 200 and patched.json()["etag"] != event["etag"]
    stale = cal.patch(url, json={"summary": "v3"}, headers={"If-Match": event["etag"]})
    assert stale.status_code == 412
    assert stale.json()["error"]["errors"][0]["reason"] == "conditionNotMet"
    updated = cal.put(url, json={"summary": "v4", **timed("2024-06-04T10:00:00Z", "2024-06-04T11:00:00Z")})
    assert updated.json()["summary"] == "v4" and updated.json()["id"] == event["id"]
    assert updated.json()["sequence"] > event["sequence"]
    assert cal.delete(url, headers={"If-Match": event["etag"]}).status_code == 412
    assert cal.delete(url).status_code == 204
    assert cal.get(url).json()["status"] == "cancelled"
    assert cal.delete(url).status_code == 410


def test_list_pages_and_time_window(cal):
    for day in range(1, 8):
        insert(cal, summary=f"day {day}", **timed(f"2024-06-0{day}T10:00:00Z", f"2024-06-0{day}T11:00:00Z", "UTC"))
    items, _, pages = list_all(cal, maxResults=3)
    assert pages == 3 and len(items) == 7
    window, _, _ = list_all(cal, timeMin="2024-06-03T00:00:00Z", timeMax="2024-06-05T00:00:00Z")
    assert [e["summary"] for e in window] == ["day 3", "day 4"]
    assert cal.get(BASE, params={"timeMin": "2024-06-03"}).status_code == 400


def test_sync_token_returns_only_changes_including_deletions(sandbox, cal):
    keep = insert(cal, summary="keep", **timed("2024-06-03T10:00:00Z", "2024-06-03T11:00:00Z"))
    gone = insert(cal, summary="gone", **timed("2024-06-04T10:00:00Z", "2024-06-04T11:00:00Z"))
    _, token, _ = list_all(cal)
    empty, token2, _ = list_all(cal, syncToken=token)
    assert empty == []
    cal.delete(f"{BASE}/{gone['id']}")
    sandbox.update_event(USER, keep["id"], {"summary": "kept"})
    changed, token3, _ = list_all(cal, syncToken=token2)
    assert {(e["id"], e["status"]) for e in changed} == {(keep["id"], "confirmed"), (gone["id"], "cancelled")}
    assert list_all(cal, syncToken=token3)[0] == []


def test_sync_token_paging_keeps_the_sync_position(cal):
    _, token, _ = list_all(cal)
    for n in range(5):
        insert(cal, summary=f"n{n}", **timed("2024-06-03T10:00:00Z", "2024-06-03T11:00:00Z"))
    items, _, pages = list_all(cal, syncToken=token, maxResults=2)
    assert pages == 3 and len(items) == 5


def test_invalid_or_invalidated_sync_token_is_410(sandbox, cal):
    _, token, _ = list_all(cal)
    sandbox.invalidate_sync_tokens(USER)
    answer = cal.get(BASE, params={"syncToken": token})
    assert answer.status_code == 410
    assert answer.json()["error"]["errors"][0]["reason"] == "fullSyncRequired"
    assert cal.get(BASE, params={"syncToken": "garbage"}).status_code == 410


@pytest.mark.parametrize("param", [("timeMin", "2024-01-01T00:00:00Z"), ("orderBy", "updated"),
                                   ("q", "x"), ("iCalUID", "x@google.com"), ("updatedMin", "2024-01-01T00:00:00Z")])
def test_parameters_forbidden_with_sync_token_are_400(cal, param):
    _, token, _ = list_all(cal)
    assert cal.get(BASE, params={"syncToken": token, param[0]: param[1]}).status_code == 400


def test_recurring_series_expands_with_exceptions(sandbox, cal):
    master = insert(cal, id="standup001", summary="Standup", recurrence=[
        "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6", "EXDATE;TZID=America/New_York:20240605T090000"],
        **timed("2024-06-03T09:00:00-04:00", "2024-06-03T09:30:00-04:00"))
    instances = cal.get(f"{BASE}/{master['id']}/instances").json()["items"]
    assert len(instances) == 5  # 6 occurrences minus one EXDATE
    first = instances[0]
    assert first["id"] == "standup001_20240603T130000Z"
    assert first["recurringEventId"] == master["id"] and first["iCalUID"] == master["iCalUID"]
    assert first["originalStartTime"] == first["start"]
    moved = cal.patch(f"{BASE}/{instances[1]['id']}", json={"summary": "Standup (moved)"}).json()
    assert moved["recurringEventId"] == master["id"]
    assert cal.delete(f"{BASE}/{instances[2]['id']}").status_code == 204
    singles, _, _ = list_all(cal, singleEvents="true", orderBy="startTime")
    assert [e["summary"] for e in singles] == ["Standup", "Standup (moved)", "Standup", "Standup"]
    with_deleted, _, _ = list_all(cal, singleEvents="true", showDeleted="true")
    cancelled = [e for e in with_deleted if e["status"] == "cancelled"]
    assert len(cancelled) == 1
    assert set(cancelled[0]) <= {"kind", "etag", "id", "status", "recurringEventId", "originalStartTime"}
    series, _, _ = list_all(cal)  # masters plus exceptions, cancelled exceptions included
    assert {e["id"] for e in series} == {master["id"], instances[1]["id"], instances[2]["id"]}
    assert cal.get(f"{BASE}/{instances[3]['id']}").json()["summary"] == "Standup"


def test_all_day_and_monthly_until(sandbox, cal):
    insert(cal, summary="Offsite", start={"date": "2024-06-10"}, end={"date": "2024-06-13"})
    master = insert(cal, summary="Review", start={"date": "2024-01-31"}, end={"date": "2024-02-01"},
                    recurrence=["RRULE:FREQ=MONTHLY;UNTIL=20240601"])
    instances = cal.get(f"{BASE}/{master['id']}/instances").json()["items"]
    assert [i["start"]["date"] for i in instances] == ["2024-01-31", "2024-03-31", "2024-05-31"]
    window, _, _ = list_all(cal, singleEvents="true", timeMin="2024-06-11T00:00:00Z",
                            timeMax="2024-06-12T00:00:00Z")
    assert [e["summary"] for e in window] == ["Offsite"]


def test_admin_exceptions_and_sync_see_instance_changes(sandbox, cal):
    master = sandbox.import_event(USER, {"id": "recur00001", "summary": "Daily", "recurrence": [
        "RRULE:FREQ=DAILY;COUNT=3"], **timed("2024-06-03T09:00:00Z", "2024-06-03T09:15:00Z", "UTC")})
    _, token, _ = list_all(cal, singleEvents="true")
    sandbox.add_exception(USER, master["id"], "2024-06-04T09:00:00Z", cancelled=True)
    changed, _, _ = list_all(cal, syncToken=token, singleEvents="true")
    assert [(e["id"], e["status"]) for e in changed] == [("recur00001_20240604T090000Z", "cancelled")]


def test_order_by_start_time_needs_single_events(cal):
    assert cal.get(BASE, params={"orderBy": "startTime"}).status_code == 400


def test_readonly_scope_cannot_write(sandbox, google_client):
    reader = google_client("reader@acme.test", [scopes.CALENDAR_READONLY])
    assert reader.get(BASE).status_code == 200
    answer = reader.post(BASE, json=timed("2024-06-03T10:00:00Z", "2024-06-03T11:00:00Z"))
    assert answer.status_code == 403
    gmail_only = google_client("g@acme.test", [scopes.GMAIL_READONLY])
    assert gmail_only.get(BASE).status_code == 403


def test_unknown_calendar_is_404(cal):
    assert cal.get("/calendar/v3/calendars/nope@x/events").status_code == 404


def test_admin_import_takes_an_event_id_google_gives_to_events_from_other_calendar_systems(sandbox, cal):
    # Google gives events imported from other calendar systems ids starting with "_" (not base32hex)
    foreign_id = "_60q30c1g60o30e1i60o4ac1g60rj8gpl88rj2c1h84s34h9g60s30c1g60o30c1g6114acq26h1jce1l6ksk8gpg64o30c1g"
    event = {"id": foreign_id, "iCalUID": "040000008200E00074C5B7101A82E00800000000@outlook.example",
             "status": "confirmed", "summary": "From Exchange", "organizer": {"email": "pat@outlook.example"},
             "recurrence": ["RRULE:FREQ=DAILY;COUNT=2"],
             **timed("2024-06-03T09:00:00Z", "2024-06-03T09:30:00Z", "UTC")}
    imported = httpx.post(f"{sandbox.base_url}/_sandbox/calendar/users/{USER}/calendars/primary/events", json=event)
    assert imported.status_code == 200, imported.text
    got = cal.get(f"{BASE}/{foreign_id}")
    assert got.status_code == 200
    assert (got.json()["id"], got.json()["iCalUID"], got.json()["summary"]) == (
        foreign_id, "040000008200E00074C5B7101A82E00800000000@outlook.example", "From Exchange")
    instances, _, _ = list_all(cal, singleEvents="true")
    assert [i["id"] for i in instances] == [f"{foreign_id}_20240603T090000Z", f"{foreign_id}_20240604T090000Z"]
    assert cal.get(f"{BASE}/{foreign_id}_20240604T090000Z").json()["recurringEventId"] == foreign_id
    assert cal.patch(f"{BASE}/{foreign_id}", json={"summary": "Renamed"}).json()["summary"] == "Renamed"
    # a client choosing its own id is still held to base32hex, as Google does
    client_chosen = cal.post(BASE, json={"id": "_abcdef0123", **timed("2024-06-03T10:00:00Z", "2024-06-03T11:00:00Z")})
    assert client_chosen.status_code == 400
