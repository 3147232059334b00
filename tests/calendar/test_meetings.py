"""CRM → Google meetings: create/update/cancel, etag conflicts, exactly-once create, scopes."""

import pytest

from worker.api import action_result, cancel_meeting, create_meeting, update_meeting
from worker.errors import BadInput, KeyConflict
from worker.providers.google.calendar.actions import (
    event_id_for,
)

pytestmark = pytest.mark.asyncio


def events_in_sandbox(acct) -> list[dict]:
    return [r for r in acct.sandbox.requests(path=r"/events$", method="POST")]


async def test_create_update_cancel_round_trip(calendar_account):
    acct = calendar_account(two_way=True)
    made = await create_meeting(acct.url, acct.id, title="Kickoff", start="2030-02-01T10:00:00+00:00",
                                end="2030-02-01T11:00:00+00:00", time_zone="UTC", location="Room 1",
                                attendees=["bob@ext.example"], send_updates="none", idempotency_key="crm-1")
    await acct.drain()
    result = await action_result(acct.url, made["outbound_id"])
    assert result["status"] == "done" and result["provider_id"] == made["event_id"]
    event = acct.sandbox.get_event(acct.email, made["event_id"])
    assert event["summary"] == "Kickoff" and event["attendees"][0]["email"] == "bob@ext.example"
    assert acct.heads()[acct.key(made["event_id"])]["payload"] == event  # staged as Google holds it

    changed = await update_meeting(acct.url, acct.id, made["event_id"], title="Kickoff (moved)",
                                   start="2030-02-02T10:00:00+00:00", end="2030-02-02T11:00:00+00:00")
    await acct.drain()
    assert (await action_result(acct.url, changed["outbound_id"]))["status"] == "done"
    patch = acct.sandbox.requests(method="PATCH")[-1]
    assert patch["status"] == 200
    event = acct.sandbox.get_event(acct.email, made["event_id"])
    assert event["summary"] == "Kickoff (moved)" and event["start"]["dateTime"].startswith("2030-02-02T10:00")
    assert acct.heads()[acct.key(made["event_id"])]["payload"]["etag"] == event["etag"]

    gone = await cancel_meeting(acct.url, acct.id, made["event_id"])
    await acct.drain()
    assert (await action_result(acct.url, gone["outbound_id"]))["status"] == "done"
    assert acct.sandbox.get_event(acct.email, made["event_id"])["status"] == "cancelled"
    head = acct.heads()[acct.key(made["event_id"])]
    assert head["is_deleted"] is True and head["payload"]["status"] == "cancelled"

    await acct.run()  # the live sync then sees the same versions: no duplicates
    assert len([r for r in acct.records() if r["external_id"] == acct.key(made["event_id"])]) == 3


async def test_all_day_create_and_same_key_is_one_action(calendar_account):
    acct = calendar_account(two_way=True)
    first = await create_meeting(acct.url, acct.id, title="Offsite", start_date="2030-03-01",
                                 end_date="2030-03-03", idempotency_key="crm-offsite")
    again = await create_meeting(acct.url, acct.id, title="Offsite", start_date="2030-03-01",
                                 end_date="2030-03-03", idempotency_key="crm-offsite")
    assert again["outbound_id"] == first["outbound_id"] and again["job_id"] is None
    await acct.drain()
    event = acct.sandbox.get_event(acct.email, first["event_id"])
    assert event["start"] == {"date": "2030-03-01"} and event["end"] == {"date": "2030-03-03"}
    assert len(events_in_sandbox(acct)) == 1


async def test_create_exactly_once_after_crash_once_google_accepted(calendar_account):
    acct = calendar_account(two_way=True)
    made = await create_meeting(acct.url, acct.id, title="Once", start="2030-02-01T10:00:00+00:00",
                                end="2030-02-01T11:00:00+00:00", idempotency_key="crm-once")
    assert made["event_id"] == event_id_for(acct.id, "crm-once")
    assert set(made["event_id"]) <= set("abcdefghijklmnopqrstuv0123456789")
    await acct.drain()
    # the worker "crashed" after Google accepted: the row is pending again and the job runs again
    import psycopg
    with psycopg.connect(acct.url) as conn:
        conn.execute("update integrations.outbound set status = 'pending', provider_id = null where id = %s",
                      (made["outbound_id"],))
    from worker.app import open_app_async
    from worker.providers.google.calendar.tasks import meeting_action
    async with open_app_async(acct.url) as app:
        await meeting_action.defer_async(connection_id=str(acct.id), outbound_id=made["outbound_id"])
        await app.run_worker_async(concurrency=2, wait=False, queues=["default"])
    inserts = events_in_sandbox(acct)
    assert [r["status"] for r in inserts] == [200, 409]  # the retry hit our own id, made nothing new
    result = await action_result(acct.url, made["outbound_id"])
    assert result["status"] == "done" and result["attempts"] == 2 and result["provider_id"] == made["event_id"]
    with psycopg.connect(acct.url) as conn:
        listed = acct.sandbox.get_event(acct.email, made["event_id"])
        assert listed["summary"] == "Once"
    await acct.run()
    assert len([k for k in acct.heads()]) == 1


async def test_update_with_stale_etag_is_a_conflict_not_an_overwrite(calendar_account):
    acct = calendar_account(two_way=True)
    event_id = acct.add("Review", day=5)
    await acct.run()  # we have seen the event (and its etag)
    theirs = acct.sandbox.update_event(acct.email, event_id, {"summary": "Review (edited in Google)"})
    changed = await update_meeting(acct.url, acct.id, event_id, title="Review (from CRM)")
    await acct.drain()
    result = await action_result(acct.url, changed["outbound_id"])
    assert result["status"] == "failed"
    conflict = result["conflict"]
    assert conflict["ours"]["summary"] == "Review (from CRM)"
    assert conflict["theirs"]["summary"] == "Review (edited in Google)" and conflict["theirs"]["etag"] == theirs["etag"]
    assert acct.sandbox.get_event(acct.email, event_id)["summary"] == "Review (edited in Google)"
    assert acct.sandbox.requests(method="PATCH")[-1]["status"] == 412
    # Google's version is staged: the CRM sees what Google holds
    assert acct.heads()[acct.key(event_id)]["payload"]["summary"] == "Review (edited in Google)"


async def test_read_only_connection_never_holds_or_asks_for_calendar_events(calendar_account):
    from worker.providers.google.capabilities import CALENDAR_EVENTS, CALENDAR_READONLY
    from worker.registry import get_provider

    google = get_provider("google")
    assert google.required_scopes({"sync_calendar_live": None, "sync_calendar_once": None}) == {CALENDAR_READONLY}
    assert CALENDAR_EVENTS in google.required_scopes({"sync_calendar_live": {"two_way": True}})
    acct = calendar_account()
    acct.add("x")
    await acct.run()
    assert acct.state()["status"] == "ok"
    with pytest.raises(BadInput, match="two_way"):
        await create_meeting(acct.url, acct.id, title="no", start="2030-02-01T10:00:00+00:00",
                             end="2030-02-01T11:00:00+00:00")
    from worker.db.connect import connect
    with connect(acct.url) as conn:
        granted = conn.execute("select granted_scopes from integrations.connections where id = %s",
                               (acct.id,)).fetchone()["granted_scopes"]
        outbound = conn.execute("select count(*) as n from integrations.outbound where connection_id = %s",
                                (acct.id,)).fetchone()["n"]
    assert CALENDAR_EVENTS not in granted and outbound == 0
    assert not acct.sandbox.requests(method="POST", path=r"/calendar/")


async def test_bad_meeting_input_is_rejected(calendar_account):
    acct = calendar_account(two_way=True)
    with pytest.raises(BadInput, match="end must be after start"):
        await create_meeting(acct.url, acct.id, title="x", start="2030-02-01T10:00:00+00:00",
                             end="2030-02-01T09:00:00+00:00")
    with pytest.raises(BadInput, match="needs start"):
        await create_meeting(acct.url, acct.id, title="x")


async def test_a_cancel_reusing_the_creates_key_runs_and_another_create_under_it_is_refused(calendar_account):
    acct = calendar_account(two_way=True)
    made = await create_meeting(acct.url, acct.id, title="Demo", start="2030-04-01T10:00:00+00:00",
                                end="2030-04-01T11:00:00+00:00", idempotency_key="crm-activity-42")
    await acct.drain()
    gone = await cancel_meeting(acct.url, acct.id, made["event_id"], idempotency_key="crm-activity-42")
    assert gone["outbound_id"] != made["outbound_id"] and gone["job_id"] is not None
    await acct.drain()
    cancelled = await action_result(acct.url, gone["outbound_id"])
    assert cancelled["status"] == "done" and cancelled["action"] == "cancel_meeting"
    assert acct.sandbox.get_event(acct.email, made["event_id"])["status"] == "cancelled"
    again = await cancel_meeting(acct.url, acct.id, made["event_id"], idempotency_key="crm-activity-42")
    assert again["outbound_id"] == gone["outbound_id"] and again["job_id"] is None
    with pytest.raises(KeyConflict, match="crm-activity-42"):
        await create_meeting(acct.url, acct.id, title="Another demo", start="2030-05-01T10:00:00+00:00",
                             end="2030-05-01T11:00:00+00:00", idempotency_key="crm-activity-42")
    assert len(events_in_sandbox(acct)) == 1
