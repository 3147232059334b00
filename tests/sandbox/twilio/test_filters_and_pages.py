"""List filters and the page envelope over raw HTTP: both date spellings Twilio accepts, To/From,
the calls' filters, and pages that follow each other even while texts arrive."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

US = "+14155550100"
PAGE_KEYS = {"first_page_uri", "next_page_uri", "previous_page_uri", "page", "page_size", "start", "end", "uri"}


@pytest.fixture
def may(twilio_sandbox, twilio_account):
    """Texts sent on 1, 2 and 3 May 2024 at 09:00:00 and 18:30:00, plus one still queued (no date_sent)."""
    sb, account = twilio_sandbox, twilio_account["account_sid"]
    for day in (1, 2, 3):
        for hour, to in (("09:00:00", "+12125550001"), ("18:30:00", "+12125550002")):
            sb.import_message(account, {"from": US, "to": to, "body": f"{day} {hour}", "status": "delivered",
                                        "date_sent": f"2024-05-0{day}T{hour}Z", "date_created": f"2024-05-0{day}T{hour}Z"})
    sb.import_message(account, {"from": US, "to": "+12125550001", "body": "queued", "status": "queued"})
    return sb


def bodies(http, **params) -> list[str]:
    answer = http.get("/Messages.json", params=params)
    assert answer.status_code == 200, answer.text
    return [m["body"] for m in answer.json()["messages"]]


def test_date_sent_filters_by_day_with_a_date(may, http):
    assert bodies(http, **{"DateSent": "2024-05-02"}) == ["2 18:30:00", "2 09:00:00"]
    assert bodies(http, **{"DateSent<": "2024-05-01"}) == ["1 18:30:00", "1 09:00:00"]  # on or before
    assert bodies(http, **{"DateSent>": "2024-05-03"}) == ["3 18:30:00", "3 09:00:00"]  # on or after
    assert bodies(http, **{"DateSent>": "2024-05-02", "DateSent<": "2024-05-02"}) == ["2 18:30:00", "2 09:00:00"]


def test_date_sent_filters_to_the_second_with_a_time(may, http):
    assert bodies(http, **{"DateSent>": "2024-05-02T18:30:00Z"}) == ["3 18:30:00", "3 09:00:00", "2 18:30:00"]
    assert bodies(http, **{"DateSent<": "2024-05-02T09:00:00Z"}) == ["2 09:00:00", "1 18:30:00", "1 09:00:00"]
    assert bodies(http, **{"DateSent": "2024-05-03T09:00:00Z"}) == ["3 09:00:00"]
    assert bodies(http, **{"DateSent>": "2024-05-02T18:30:01Z"}) == ["3 18:30:00", "3 09:00:00"]


def test_a_text_without_date_sent_matches_no_date_filter_but_lists_first(may, http):
    assert bodies(http)[0] == "queued"
    assert "queued" not in bodies(http, **{"DateSent>": "2000-01-01"})


def test_to_and_from_filters(may, http):
    assert bodies(http, To="+12125550002") == ["3 18:30:00", "2 18:30:00", "1 18:30:00"]
    assert bodies(http, From="+19999999999") == []
    assert len(bodies(http, From=US)) == 7


def test_a_malformed_date_is_400(may, http):
    answer = http.get("/Messages.json", params={"DateSent>": "yesterday"})
    assert answer.status_code == 400 and answer.json()["code"] == 20001


def follow(sb, http, uri: str) -> dict:
    """GET a page URI the way clients do: the API's base URL + the relative URI."""
    answer = http.get(sb.base_url + uri)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_page_envelope_has_the_meta_keys_and_exactly_one_list_key(may, http, twilio_account):
    first = http.get("/Messages.json", params={"PageSize": 3, "To": "+12125550001"}).json()
    assert set(first) == PAGE_KEYS | {"messages"}
    assert (first["page"], first["page_size"], first["start"], first["end"]) == (0, 3, 0, 2)
    assert first["previous_page_uri"] is None
    assert first["uri"].startswith(f"/2010-04-01/Accounts/{twilio_account['account_sid']}/Messages.json?")
    assert follow(may, http, first["first_page_uri"])["messages"] == first["messages"]
    query = parse_qs(urlsplit(first["next_page_uri"]).query)
    assert query["To"] == ["+12125550001"] and query["Page"] == ["1"] and query["PageToken"][0].startswith("PA")
    second = follow(may, http, first["next_page_uri"])
    assert [m["body"] for m in second["messages"]] == ["1 09:00:00"]
    assert (second["page"], second["start"], second["end"], second["next_page_uri"]) == (1, 3, 3, None)
    back = follow(may, http, second["previous_page_uri"])
    assert [m["body"] for m in back["messages"]] == [m["body"] for m in first["messages"]]


def test_the_next_page_follows_the_last_text_served_even_when_new_ones_arrive(may, http, twilio_account):
    first = http.get("/Messages.json", params={"PageSize": 3}).json()
    may.import_message(twilio_account["account_sid"], {"from": US, "to": "+12125550003", "body": "late",
                                                       "status": "received", "direction": "inbound"})
    seen = [m["body"] for m in first["messages"]]
    uri = first["next_page_uri"]
    while uri:
        page = follow(may, http, uri)
        seen += [m["body"] for m in page["messages"]]
        uri = page["next_page_uri"]
    assert seen == ["queued", "3 18:30:00", "3 09:00:00", "2 18:30:00", "2 09:00:00", "1 18:30:00", "1 09:00:00"]


def test_page_size_limits(may, http):
    assert http.get("/Messages.json", params={"PageSize": 1000}).status_code == 200
    over = http.get("/Messages.json", params={"PageSize": 1001})
    assert over.status_code == 400 and over.json() == {
        "code": 20007, "message": "Page size too large", "more_info": "https://www.twilio.com/docs/errors/20007",
        "status": 400}
    assert http.get("/Messages.json").json()["page_size"] == 50


def test_calls_filter_on_start_time_both_spellings_status_to_and_from(twilio_sandbox, twilio_account, http):
    sb, account = twilio_sandbox, twilio_account["account_sid"]
    for day, status, caller in ((1, "completed", "+12125550001"), (2, "busy", "+12125550002"),
                                (3, "completed", "+12125550002")):
        sb.import_call(account, {"from": caller, "to": US, "direction": "inbound", "status": status,
                                 "start_time": f"2024-07-0{day}T12:00:00Z", "end_time": f"2024-07-0{day}T12:01:00Z"})
    sb.import_call(account, {"from": US, "to": "+12125550009", "status": "queued"})

    def days(**params):
        answer = http.get("/Calls.json", params=params)
        assert answer.status_code == 200, answer.text
        return [c["start_time"][5:7].strip() if c["start_time"] else None for c in answer.json()["calls"]]

    assert days() == [None, "03", "02", "01"]
    assert days(**{"StartTime>": "2024-07-02"}) == ["03", "02"]
    assert days(**{"StartTime<": "2024-07-02T11:59:59Z"}) == ["01"]
    assert days(**{"StartTime": "2024-07-03"}) == ["03"]
    assert days(Status="completed") == ["03", "01"]
    assert days(From="+12125550002", Status="busy") == ["02"]
    assert days(To="+12125550009") == [None]
    assert days(**{"EndTime>": "2024-07-03T12:01:00Z"}) == ["03"]
    page = http.get("/Calls.json", params={"PageSize": 2}).json()
    assert set(page) == PAGE_KEYS | {"calls"} and page["next_page_uri"]
