"""Model-level invariants are dbt data tests (dbt_project/tests/generic/model_invariants.sql):
they pass on clean data, and a violation is recorded in normalize_test_results with its count
(a warning: it never holds back the other rows), where `integrations status` shows it."""

from __future__ import annotations

import uuid

from tests.normalize.helpers import create_connection, dbt, query, stage_calendar
from worker.db.connect import connect

RESULTS = "select test_name, status, failures from integrations_staging.normalize_test_results"


def _event(event_id: str, start: str, end: str) -> dict:
    return {"id": event_id, "iCalUID": f"{event_id}@google.com", "status": "confirmed", "summary": event_id,
            "organizer": {"email": "me@acme.com", "self": True},
            "start": {"dateTime": start}, "end": {"dateTime": end},
            "attendees": [{"email": "Ann@Example.com", "responseStatus": "accepted"}]}


def test_a_meeting_ending_before_it_starts_is_recorded_and_clean_data_passes(make_database, tmp_path):
    url = make_database.create(prefix="nz_inv")
    tenant = uuid.uuid4()
    with connect(url) as conn:
        calendar = create_connection(conn, tenant, "me@acme.com")
        stage_calendar(conn, calendar, tenant, {
            "primary/ok": _event("ok", "2024-03-01T10:00:00Z", "2024-03-01T11:00:00Z")})
        conn.commit()

    dbt(url, tmp_path / "runs")  # asserts WARN=0: every invariant holds on clean data

    invariants = {r["test_name"]: r for r in query(url, RESULTS) if r["test_name"].startswith(
        ("not_before_", "has_rows_in_", "is_lower_case_"))}
    assert {name.split("_")[0] + "_" + name.split("_")[1] for name in invariants} == {
        "not_before", "has_rows", "is_lower"}
    assert all(r["status"] == "pass" for r in invariants.values()), invariants
    assert [r["address"] for r in query(url, "select address from product.meeting_attendees")] == [
        "ann@example.com"]

    with connect(url) as conn:
        stage_calendar(conn, calendar, tenant, {
            "primary/backwards": _event("backwards", "2024-03-02T11:00:00Z", "2024-03-02T10:00:00Z")})
        conn.commit()
    output = dbt(url, tmp_path / "runs", expect_ok=False)

    assert "ERROR=0 SKIP=0" in output and " WARN=1 " in output, output[-3000:]
    failing = [(r["test_name"], r["status"], r["failures"]) for r in query(url, RESULTS + " where status <> 'pass'")]
    assert failing == [("not_before_meetings_end_at__start_at", "warn", 1)]
    # a warning, not a block: the meeting is there, the run went on
    assert {r["title"] for r in query(url, "select title from product.meetings")} == {"ok", "backwards"}
