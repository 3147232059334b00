"""Graph calendars over real HTTPS: events parse with msgraph-sdk models; recurrence expands into
occurrences and exceptions; calendarView delta pages, resumes, reports removals and 410s;
If-Match answers 412 when stale; transactionId makes creates idempotent."""

from __future__ import annotations

from msgraph.generated.models.calendar import Calendar
from msgraph.generated.models.calendar_collection_response import CalendarCollectionResponse
from msgraph.generated.models.event import Event
from msgraph.generated.models.event_collection_response import EventCollectionResponse
from msgraph.generated.models.event_type import EventType
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from tests.sandbox.microsoft.graph_models import parse

USER = "ana@acme.test"
WINDOW = {"startDateTime": "2024-06-01T00:00:00Z", "endDateTime": "2024-07-01T00:00:00Z"}


def event(subject: str, start: str, end: str, tz: str = "UTC", **extra) -> dict:
    body = {"subject": subject, "start": {"dateTime": start, "timeZone": tz}, "end": {"dateTime": end, "timeZone": tz},
            "attendees": [{"emailAddress": {"address": "ben@acme.test", "name": "Ben"}, "type": "required"}]}
    body.update(extra)
    return body


def weekly(start_date: str, count: int | None = None, end_date: str | None = None, days=("monday",)) -> dict:
    rng = {"type": "numbered", "startDate": start_date, "numberOfOccurrences": count} if count else \
        {"type": "endDate", "startDate": start_date, "endDate": end_date}
    return {"pattern": {"type": "weekly", "interval": 1, "daysOfWeek": list(days), "firstDayOfWeek": "sunday"},
            "range": rng}


def follow(client, url, params=None, pages=None):
    items = []
    while True:
        answer = client.get(url, params=params)
        params = None
        assert answer.status_code == 200, answer.text
        body = answer.json()
        parse(EventCollectionResponse, answer.content)
        if pages is not None:
            pages.append(len(body["value"]))
        items.extend(body["value"])
        if "@odata.deltaLink" in body:
            return items, body["@odata.deltaLink"]
        url = body["@odata.nextLink"]


def test_event_and_calendar_answers_parse_with_msgraph_models(microsoft_sandbox, graph_client):
    sb = microsoft_sandbox
    client = graph_client(USER)
    created = client.post("/me/events", json=event("Planning", "2024-06-03T10:00:00", "2024-06-03T11:00:00",
                                                   "W. Europe Standard Time", location={"displayName": "Room 1"}))
    assert created.status_code == 201, created.text
    parsed = parse(Event, created.content)
    assert parsed.subject == "Planning" and parsed.type == EventType.SingleInstance
    assert parsed.start.date_time == "2024-06-03T08:00:00.0000000" and parsed.start.time_zone == "UTC"
    assert parsed.location.display_name == "Room 1"
    assert parsed.attendees[0].email_address.address == "ben@acme.test"
    assert parsed.organizer.email_address.address == USER and parsed.is_organizer is True
    assert parsed.additional_data["@odata.etag"] == f'W/"{parsed.change_key}"'
    assert sb.get_event(USER, parsed.id)["subject"] == "Planning"

    calendars = parse(CalendarCollectionResponse, client.get("/me/calendars").content)
    assert [c.is_default_calendar for c in calendars.value] == [True]
    extra = sb.add_calendar(USER, "Team")
    assert parse(Calendar, client.get(f"/me/calendars/{extra}").content).name == "Team"
    assert parse(Calendar, client.get("/me/calendar").content).id == calendars.value[0].id
    team_event = client.post(f"/me/calendars/{extra}/events",
                             json=event("Team sync", "2024-06-04T09:00:00", "2024-06-04T09:30:00"))
    default_view = client.get("/me/calendarView", params=WINDOW).json()["value"]
    assert [e["subject"] for e in default_view] == ["Planning"]
    team_view = client.get(f"/me/calendars/{extra}/calendarView", params=WINDOW).json()["value"]
    assert [e["id"] for e in team_view] == [team_event.json()["id"]]


def test_recurring_series_expands_with_exceptions_and_cancelled_occurrences(microsoft_sandbox, graph_client):
    sb = microsoft_sandbox
    master = sb.import_event(USER, event("Standup", "2024-06-03T09:00:00", "2024-06-03T09:15:00",
                                         "Pacific Standard Time", recurrence=weekly("2024-06-03", count=6,
                                                                                    days=("monday", "thursday"))))
    assert master["type"] == "seriesMaster" and master["recurrence"]["range"]["numberOfOccurrences"] == 6
    client = graph_client(USER)
    view = client.get("/me/calendarView", params={**WINDOW, "$top": "50"}).json()["value"]
    starts = [v["start"]["dateTime"][:16] for v in view]
    assert starts == ["2024-06-03T16:00", "2024-06-06T16:00", "2024-06-10T16:00", "2024-06-13T16:00",
                      "2024-06-17T16:00", "2024-06-20T16:00"]
    assert {v["type"] for v in view} == {"occurrence"} and {v["seriesMasterId"] for v in view} == {master["id"]}
    assert len({v["iCalUId"] for v in view}) == 6
    assert view[1]["originalStart"] == "2024-06-06T16:00:00Z"

    moved = client.patch(f"/me/events/{view[1]['id']}", json={
        "subject": "Standup (moved)", "start": {"dateTime": "2024-06-07T09:00:00", "timeZone": "UTC"},
        "end": {"dateTime": "2024-06-07T09:15:00", "timeZone": "UTC"}})
    assert moved.status_code == 200 and moved.json()["type"] == "exception"
    assert client.delete(f"/me/events/{view[2]['id']}").status_code == 204
    sb.cancel_event(USER, view[3]["id"])

    instances = client.get(f"/me/events/{master['id']}/instances", params=WINDOW).json()["value"]
    parsed = parse(EventCollectionResponse, {"value": instances}).value
    assert len(parsed) == 5
    by_id = {e.id: e for e in parsed}
    assert by_id[view[1]["id"]].type == EventType.Exception and by_id[view[1]["id"]].subject == "Standup (moved)"
    assert by_id[view[1]["id"]].start.date_time.startswith("2024-06-07T09:00")
    assert view[2]["id"] not in by_id
    assert by_id[view[3]["id"]].is_cancelled is True
    assert client.get(f"/me/events/{view[2]['id']}").status_code == 404


def test_daily_series_with_an_end_date_and_interval(microsoft_sandbox, graph_client):
    sb = microsoft_sandbox
    sb.import_event(USER, event("Every other day", "2024-06-28T12:00:00", "2024-06-28T13:00:00", recurrence={
        "pattern": {"type": "daily", "interval": 2},
        "range": {"type": "endDate", "startDate": "2024-06-28", "endDate": "2024-07-05"}}))
    client = graph_client(USER)
    view = client.get("/me/calendarView", params={"startDateTime": "2024-06-01T00:00:00Z",
                                                   "endDateTime": "2024-08-01T00:00:00Z"}).json()["value"]
    assert [v["start"]["dateTime"][:10] for v in view] == ["2024-06-28", "2024-06-30", "2024-07-02", "2024-07-04"]


def test_calendar_view_delta_pages_resumes_and_reports_removals(microsoft_sandbox, graph_client):
    sb = microsoft_sandbox
    singles = [sb.import_event(USER, event(f"e{d}", f"2024-06-{d:02d}T10:00:00", f"2024-06-{d:02d}T11:00:00"))["id"]
               for d in range(1, 6)]
    master = sb.import_event(USER, event("Weekly", "2024-06-03T15:00:00", "2024-06-03T16:00:00",
                                         recurrence=weekly("2024-06-03", end_date="2024-06-30")))
    client = graph_client(USER)
    client.headers["Prefer"] = "odata.maxpagesize=4"
    pages: list[int] = []
    items, link = follow(client, "/me/calendarView/delta", WINDOW, pages)
    assert pages == [4, 4, 1]
    types = sorted(i["type"] for i in items)
    assert types == ["occurrence"] * 4 + ["singleInstance"] * 5
    occurrences = sorted((i for i in items if i["type"] == "occurrence"), key=lambda i: i["start"]["dateTime"])

    sb.update_event(USER, singles[0], {"subject": "e1 renamed"})
    sb.update_event(USER, singles[1], {"start": {"dateTime": "2024-08-01T10:00:00", "timeZone": "UTC"},
                                       "end": {"dateTime": "2024-08-01T11:00:00", "timeZone": "UTC"}})
    sb.delete_event(USER, singles[2])
    sb.delete_event(USER, occurrences[0]["id"])
    created = sb.import_event(USER, event("new", "2024-06-20T10:00:00", "2024-06-20T10:30:00"))["id"]
    changes, link = follow(client, link)
    removed = {c["id"] for c in changes if "@removed" in c}
    assert removed == {singles[1], singles[2], occurrences[0]["id"]}
    assert {c["id"] for c in changes if "@removed" not in c} == {singles[0], created}
    assert follow(client, link)[0] == []

    sb.update_event(USER, master["id"], {"subject": "Weekly (renamed)"})
    changes, link = follow(client, link)
    assert {c["id"] for c in changes} == {o["id"] for o in occurrences[1:]}
    assert {c["subject"] for c in changes} == {"Weekly (renamed)"}

    sb.expire_delta_tokens(USER)
    gone = client.get(link)
    assert gone.status_code == 410 and parse(ODataError, gone.content).error.code == "SyncStateNotFound"
    assert client.get("/me/calendarView/delta").status_code == 400  # the first call needs its window


def test_if_match_with_a_stale_etag_answers_412(microsoft_sandbox, graph_client):
    client = graph_client(USER)
    created = client.post("/me/events", json=event("Etag", "2024-06-03T10:00:00", "2024-06-03T11:00:00")).json()
    etag = created["@odata.etag"]
    fresh = client.patch(f"/me/events/{created['id']}", json={"subject": "v2"}, headers={"If-Match": etag})
    assert fresh.status_code == 200 and fresh.json()["@odata.etag"] != etag
    stale = client.patch(f"/me/events/{created['id']}", json={"subject": "v3"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert parse(ODataError, stale.content).error.code == "ErrorIrresolvableConflict"
    assert client.delete(f"/me/events/{created['id']}", headers={"If-Match": etag}).status_code == 412
    assert client.get(f"/me/events/{created['id']}").json()["subject"] == "v2"


def test_transaction_id_makes_a_repeated_create_return_the_same_event(microsoft_sandbox, graph_client):
    client = graph_client(USER)
    body = event("Once", "2024-06-03T10:00:00", "2024-06-03T11:00:00", transactionId="7E163156-7762-4BEB-A1C6-729EA81755A7")
    first, second = client.post("/me/events", json=body), client.post("/me/events", json=body)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert len(client.get("/me/events").json()["value"]) == 1
    assert parse(Event, first.content).transaction_id == body["transactionId"]


def test_cancel_by_the_organizer_removes_the_event_and_scopes_are_enforced(microsoft_sandbox, graph_client):
    sb = microsoft_sandbox
    client = graph_client(USER)
    created = client.post("/me/events", json=event("Cancel me", "2024-06-03T10:00:00", "2024-06-03T11:00:00")).json()
    assert client.post(f"/me/events/{created['id']}/cancel", json={"comment": "sorry"}).status_code == 202
    assert client.get(f"/me/events/{created['id']}").status_code == 404
    foreign = sb.import_event(USER, event("Theirs", "2024-06-04T10:00:00", "2024-06-04T11:00:00",
                                          organizer={"emailAddress": {"address": "ben@acme.test"}}))
    assert client.post(f"/me/events/{foreign['id']}/cancel", json={}).status_code == 400

    reader = graph_client(USER, scopes=["Calendars.Read"])
    assert reader.get("/me/calendarView", params=WINDOW).status_code == 200
    denied = reader.post("/me/events", json=event("x", "2024-06-03T10:00:00", "2024-06-03T11:00:00"))
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "ErrorAccessDenied"
    mail_only = graph_client(USER, scopes=["Mail.Read"])
    assert mail_only.get("/me/calendars").status_code == 403


def test_admin_http_event_import_uses_the_default_calendar(microsoft_sandbox):
    import httpx

    sb = microsoft_sandbox
    with httpx.Client(base_url=sb.base_url, verify=sb.certificates.client_context()) as admin:
        answer = admin.post(f"/_sandbox/microsoft/users/{USER}/events",
                            json=event("Imported", "2024-06-03T10:00:00", "2024-06-03T11:00:00"))
        assert answer.status_code == 200
        assert parse(Event, answer.content).subject == "Imported"
        assert sb.get_event(USER, answer.json()["id"])["subject"] == "Imported"
