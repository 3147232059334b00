"""sync_sms_live and sync_calls_live against the Twilio sandbox: backfill, paging, the overlap window."""

from datetime import datetime, timedelta, timezone

import pytest

from tests.twilio.conftest import ago, drain, rfc2822
from worker.db.connect import connect
from worker.providers.twilio.api import parse_date

pytestmark = pytest.mark.asyncio


def list_calls(sandbox, method_id="messages.list"):
    return sandbox.requests(method_id=method_id)


async def test_backfill_stages_every_message_of_the_window_and_nothing_older(twilio, tsb):
    account = twilio()
    recent = account.text("yesterday", sent=ago(tsb, days=1))
    older = account.text("ten days ago", sent=ago(tsb, days=10), inbound=True)
    outside = account.text("forty days ago", sent=ago(tsb, days=40))
    await account.run_live()
    heads = account.heads()
    assert set(heads) == {recent["sid"], older["sid"]} and outside["sid"] not in heads
    assert heads[recent["sid"]]["payload"] == recent  # the Message exactly as the list returns it
    state = account.state()
    assert state["status"] == "ok" and state["full_syncs"] == 1
    assert parse_date(recent["date_sent"]) == datetime.fromisoformat(state["cursor"]["since"])
    [listing] = list_calls(tsb)
    assert listing["query"]["PageSize"] == ["1000"]
    backfill_start = datetime.fromisoformat(state["cursor"]["scopeStart"])
    assert abs((ago(tsb, days=30) - backfill_start).total_seconds()) < 120


async def test_a_backfill_pages_through_next_page_uri_at_1000_per_page(twilio, tsb):
    account = twilio()
    sent = [account.text(f"message {n}", sent=ago(tsb, minutes=n)) for n in range(2300)]
    await account.run_live()
    assert set(account.heads()) == {m["sid"] for m in sent}
    listings = list_calls(tsb)
    assert len(listings) == 3  # 1000 + 1000 + 300
    assert all(entry["query"]["PageSize"] == ["1000"] for entry in listings)
    assert "PageToken" in listings[1]["query"] and "PageToken" in listings[2]["query"]


async def test_the_backfill_window_comes_from_the_capability_settings(twilio, tsb):
    account = twilio({"sync_sms_live": {"backfill_days": 3}})
    inside = account.text("two days ago", sent=ago(tsb, days=2))
    account.text("five days ago", sent=ago(tsb, days=5))
    await account.run_live()
    assert set(account.heads()) == {inside["sid"]}


async def test_a_later_run_lists_from_the_newest_date_seen_minus_the_overlap_and_catches_status_changes(twilio, tsb):
    account = twilio({"sync_sms_live": {"overlap_minutes": 60}})
    newest = account.text("newest", sent=ago(tsb, minutes=5), status="sent")
    within = account.text("within the overlap", sent=ago(tsb, minutes=30), status="sent")
    before = account.text("before the overlap", sent=ago(tsb, hours=3), status="sent")
    await account.run_live()
    assert {s: h["payload"]["status"] for s, h in account.heads().items()} == {
        newest["sid"]: "sent", within["sid"]: "sent", before["sid"]: "sent"}

    for message in (newest, within, before):  # delivery receipts arrive after the messages were listed
        tsb.set_message_status(account.sid, message["sid"], "delivered")
    tsb.set_message_status(account.sid, within["sid"], "undelivered", error_code=30003)
    tsb.clear_requests()
    await account.run_live()

    [listing] = list_calls(tsb)
    window_start = datetime.strptime(listing["query"]["DateSent>"][0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert window_start == parse_date(newest["date_sent"]) - timedelta(minutes=60)
    heads = account.heads()
    assert heads[newest["sid"]]["payload"]["status"] == "delivered"
    assert heads[within["sid"]]["payload"]["status"] == "undelivered"
    assert heads[within["sid"]]["payload"]["error_code"] == 30003
    # outside the overlap: the change waits for reconcile (a wider overlap is a setting)
    assert heads[before["sid"]]["payload"]["status"] == "sent"
    assert [v["payload"]["status"] for v in account.versions(newest["sid"])] == ["sent", "delivered"]


async def test_a_run_without_changes_stores_nothing_new(twilio, tsb):
    account = twilio()
    for n in range(5):
        account.text(f"m{n}", sent=ago(tsb, minutes=n))
    await account.run_live()
    await account.run_live()
    await account.run_live()
    assert all(len(account.versions(sid)) == 1 for sid in account.heads())
    assert account.state()["cursor"]["since"]


async def test_new_messages_after_the_backfill_are_staged_by_the_next_run(twilio, tsb):
    account = twilio()
    account.text("before", sent=ago(tsb, minutes=10))
    await account.run_live()
    tsb.advance(120)
    arrived = account.text("arrived later", inbound=True)
    await account.run_live()
    assert arrived["sid"] in account.heads()
    assert datetime.fromisoformat(account.state()["cursor"]["since"]) == parse_date(arrived["date_sent"])


async def test_a_call_in_progress_is_read_again_until_it_ends_even_outside_the_overlap(twilio, tsb):
    account = twilio({"sync_calls_live": {"overlap_minutes": 10}})
    long_call = account.call(start=ago(tsb, hours=2), status="in-progress")
    recent = account.call(start=ago(tsb, minutes=1))
    await account.run_live("sync_calls_live")
    heads = account.heads("twilio.call")
    assert heads[long_call["sid"]]["payload"]["status"] == "in-progress" and recent["sid"] in heads

    ended = account.call(sid=long_call["sid"], start=ago(tsb, hours=2), status="completed", seconds=7000)
    await account.run_live("sync_calls_live")
    payload = account.heads("twilio.call")[long_call["sid"]]["payload"]
    assert payload == ended and payload["duration"] == "7000"
    assert tsb.count_requests(method_id="calls.fetch") == 1


async def test_a_sent_message_is_read_by_sid_while_queued_then_found_by_the_window(twilio, tsb):
    """A queued message has no date_sent: no DateSent window lists it; the sync reads it by SID."""
    from worker.api import send_sms

    account = twilio()
    queued = await send_sms(account.url, account.id, to="+14155550123", body="on its way")
    await drain(account.url)
    [sid] = account.heads()
    assert account.heads()[sid]["payload"]["status"] == "queued"
    await account.run_live()  # the backfill lists nothing with a date: the message is still queued
    tsb.advance(1.5)  # sending
    await account.run_live()
    assert account.heads()[sid]["payload"]["status"] == "sending"
    tsb.advance(10)  # sent, then delivered: now dated, listed by the window
    await account.run_live()
    assert account.heads()[sid]["payload"]["status"] == "delivered"
    assert queued["outbound_id"]


async def test_an_older_version_of_a_message_never_replaces_the_newer_one_staged(twilio, tsb):
    """Twilio orders a message's versions by `date_updated`: a send's late create answer (queued)
    staged after the sync staged the delivered message leaves the delivered one the head."""
    from worker.store.staging import RawObject, stage_records

    account = twilio()
    delivered = account.text("hi", sent=ago(tsb, minutes=1), status="delivered")
    await account.run_live()
    queued = {**delivered, "status": "queued", "date_sent": None,
              "date_updated": rfc2822(parse_date(delivered["date_updated"]) - timedelta(seconds=3))}
    with connect(account.url) as conn:
        stored = stage_records(conn, account.id, account.tenant_id, "send_sms", "twilio.message",
                               [RawObject(delivered["sid"], queued)])
        conn.commit()
    assert stored == 0 and account.heads()[delivered["sid"]]["payload"]["status"] == "delivered"
    later = {**delivered, "status": "read", "date_updated": rfc2822(parse_date(delivered["date_updated"])
                                                                    + timedelta(seconds=5))}
    with connect(account.url) as conn:
        assert stage_records(conn, account.id, account.tenant_id, "sync_sms_live", "twilio.message",
                             [RawObject(delivered["sid"], later)]) == 1
        conn.commit()
    assert account.heads()[delivered["sid"]]["payload"]["status"] == "read"
