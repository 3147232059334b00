"""Outlook calendars over real HTTPS: the calendar-view delta live sync, series, deletions, expiry,
the manual sync, and two-way meeting actions exactly once with etag conflicts surfaced."""

from datetime import datetime, timedelta, timezone

import pytest

from tests.microsoft.conftest import SCOPES, drain
from worker.api import action_result, cancel_meeting, create_meeting, sync_once, update_meeting
from worker.db.connect import connect
from worker.errors import BadInput, KeyConflict
from worker.providers.microsoft.capabilities import CALENDARS_READ, CALENDARS_READWRITE

pytestmark = pytest.mark.asyncio
CAL_SCOPES = SCOPES + [CALENDARS_READ, CALENDARS_READWRITE]


def at(days: int, hour: int = 9) -> str:
    moment = (datetime.now(timezone.utc) + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.0000000")


def event(subject: str, days: int, **extra) -> dict:
    return {"subject": subject, "start": {"dateTime": at(days), "timeZone": "UTC"},
            "end": {"dateTime": at(days, 10), "timeZone": "UTC"},
            "organizer": {"emailAddress": {"address": "ana@tenant.example"}},
            "attendees": [{"emailAddress": {"address": "ben@ext.example", "name": "Ben"}, "type": "required"}], **extra}


def weekly(days: int, count: int) -> dict:
    start = (datetime.now(timezone.utc) + timedelta(days=days)).date()
    return {"pattern": {"type": "weekly", "interval": 1, "daysOfWeek": [start.strftime("%A").lower()],
                        "firstDayOfWeek": "sunday"},
            "range": {"type": "numbered", "startDate": start.isoformat(), "numberOfOccurrences": count}}


@pytest.fixture
def calendar(outlook):
    def make(settings=None, **kw):
        return outlook(capabilities={"sync_calendar_live": settings or {}, "sync_calendar_once": None},
                       scopes=CAL_SCOPES, **kw)
    return make


async def run_calendar(box):
    await box.run_live("sync_calendar_live")


async def test_live_sync_stages_events_series_instances_and_their_master(calendar):
    box = calendar()
    single = box.sandbox.import_event(box.email, event("Kick-off", 3))
    series = box.sandbox.import_event(box.email, event("Weekly", 1, recurrence=weekly(1, 3)))
    await run_calendar(box)

    heads = box.heads("outlook.event")
    assert single["id"] in heads and heads[single["id"]]["payload"]["subject"] == "Kick-off"
    occurrences = [h["payload"] for h in heads.values() if h["payload"].get("seriesMasterId") == series["id"]]
    assert len(occurrences) == 3 and {o["type"] for o in occurrences} == {"occurrence"}
    assert heads[series["id"]]["payload"]["type"] == "seriesMaster"  # staged beside: its iCalUId keys the meetings
    state = box.states("sync_calendar_live")["default"]
    assert state["status"] == "ok" and state["cursor"]["deltaLink"] and state["cursor"]["end"]


async def test_changes_and_deletions_follow_the_delta(calendar):
    box = calendar()
    changed = box.sandbox.import_event(box.email, event("Draft title", 2))
    deleted = box.sandbox.import_event(box.email, event("Dropped", 4))
    await run_calendar(box)
    box.sandbox.update_event(box.email, changed["id"], {"subject": "Final title"})
    box.sandbox.delete_event(box.email, deleted["id"])
    new = box.sandbox.import_event(box.email, event("New", 5))
    await run_calendar(box)

    heads = box.heads("outlook.event")
    assert heads[changed["id"]]["payload"]["subject"] == "Final title"
    assert heads[deleted["id"]]["is_deleted"]
    assert not heads[new["id"]]["is_deleted"]


async def test_an_expired_delta_token_resyncs_and_tombstones_what_vanished(calendar):
    box = calendar()
    gone = box.sandbox.import_event(box.email, event("Gone while expired", 2))
    stays = box.sandbox.import_event(box.email, event("Stays", 3))
    await run_calendar(box)
    box.sandbox.expire_delta_tokens(box.email)
    box.sandbox.delete_event(box.email, gone["id"])
    await run_calendar(box)
    heads = box.heads("outlook.event")
    assert heads[gone["id"]]["is_deleted"] and not heads[stays["id"]]["is_deleted"]
    state = box.states("sync_calendar_live")["default"]
    assert state["status"] == "ok" and not state["cursor"].get("settle")


async def test_the_manual_sync_stages_one_window(calendar):
    box = calendar()
    inside = box.sandbox.import_event(box.email, event("Inside", 2))
    outside = box.sandbox.import_event(box.email, event("Outside", 40))
    today = datetime.now(timezone.utc).date()
    run = await sync_once(box.url, box.id, "sync_calendar_once",
                          {"from": today.isoformat(), "to": (today + timedelta(days=10)).isoformat()})
    await drain(box.url)
    heads = box.heads("outlook.event")
    assert inside["id"] in heads and outside["id"] not in heads
    assert box.states("sync_calendar_once")[f"run:{run['run_id']}"]["cursor"]["done"] is True


async def test_meetings_are_created_once_updated_and_cancelled_with_conflicts_surfaced(calendar):
    box = calendar({"two_way": True})
    start = (datetime.now(timezone.utc) + timedelta(days=2)).replace(microsecond=0)
    made = await create_meeting(box.url, box.id, title="Demo", start=start, end=start + timedelta(hours=1),
                                attendees=["ben@ext.example"], idempotency_key="crm-meeting-1")
    again = await create_meeting(box.url, box.id, title="Demo", start=start, end=start + timedelta(hours=1),
                                 attendees=["ben@ext.example"], idempotency_key="crm-meeting-1")
    assert again["job_id"] is None and again["outbound_id"] == made["outbound_id"]
    with pytest.raises(KeyConflict):  # the key names that request: another one under it is refused
        await create_meeting(box.url, box.id, title="Demo", start=start, end=start + timedelta(hours=1),
                             idempotency_key="crm-meeting-1")
    await drain(box.url)
    created = await action_result(box.url, made["outbound_id"])
    assert created["status"] == "done"
    event_id = created["provider_id"]
    assert box.sandbox.get_event(box.email, event_id)["subject"] == "Demo"
    assert box.sandbox.count_requests(path=r"/events$", method="POST") == 1

    done = await update_meeting(box.url, box.id, event_id, title="Demo (moved)")
    await drain(box.url)
    assert (await action_result(box.url, done["outbound_id"]))["status"] == "done"
    assert box.sandbox.get_event(box.email, event_id)["subject"] == "Demo (moved)"

    box.sandbox.update_event(box.email, event_id, {"subject": "Changed in Outlook"})  # our etag is stale now
    clash = await update_meeting(box.url, box.id, event_id, title="CRM wins?")
    await drain(box.url)
    conflict = await action_result(box.url, clash["outbound_id"])
    assert conflict["status"] == "failed" and "changed in Outlook" in conflict["last_error"]
    assert box.sandbox.get_event(box.email, event_id)["subject"] == "Changed in Outlook"  # not overwritten

    await run_calendar(box)  # the staged etag is Outlook's current one again
    cancelled = await cancel_meeting(box.url, box.id, event_id)
    await drain(box.url)
    assert (await action_result(box.url, cancelled["outbound_id"]))["status"] == "done"
    assert box.heads("outlook.event")[event_id]["is_deleted"]


async def test_meeting_actions_need_two_way(calendar):
    box = calendar()
    start = datetime.now(timezone.utc) + timedelta(days=1)
    with pytest.raises(BadInput, match="two_way"):
        await create_meeting(box.url, box.id, title="x", start=start, end=start + timedelta(hours=1))
    with connect(box.url) as conn:
        rows = conn.execute("select count(*) as n from integrations.outbound where connection_id = %s",
                            (box.id,)).fetchone()
    assert rows["n"] == 0  # nothing recorded, nothing queued
