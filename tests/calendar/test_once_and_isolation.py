"""sync_calendar_once windows (live cursor untouched) and isolation from the Gmail capabilities."""

import pytest

from worker.api import sync_once

pytestmark = pytest.mark.asyncio


async def test_once_sync_stages_a_window_and_leaves_the_live_cursor(calendar_account):
    acct = calendar_account()
    _inside = [acct.add("in a", day=10), acct.add("in b", day=11)]
    outside = acct.add("outside", day=20)
    master = acct.add("daily", day=9, recurrence=["RRULE:FREQ=DAILY;COUNT=4"])
    await acct.run()
    live_before = acct.state()
    records_before = len(acct.records())
    queued = await sync_once(acct.url, acct.id, "sync_calendar_once",
                             {"calendar": "primary", "from": "2030-01-10", "to": "2030-01-12",
                              "expand_recurring": True})
    await acct.drain()
    run = acct.state(stream=f"run:{queued['run_id']}", capability="sync_calendar_once")
    assert run["status"] == "ok" and run["cursor"]["done"] is True
    assert run["cursor"]["listed"] == 4  # the two events and two daily instances in the window
    once = acct.records(capability="sync_calendar_once")  # only versions the live sync had not staged
    assert acct.key(outside) not in {r["external_id"] for r in once}
    instances = [r for r in once if r["payload"].get("recurringEventId") == master]
    assert {r["payload"]["start"]["dateTime"][:10] for r in instances} == {"2030-01-10", "2030-01-11"}
    list_call = acct.sandbox.requests(path=r"/events$")[-1]
    assert list_call["query"]["singleEvents"] == ["true"] and "timeMin" in list_call["query"]
    live_after = acct.state()
    assert live_after["cursor"] == live_before["cursor"] and live_after["full_syncs"] == live_before["full_syncs"]
    assert len(acct.records()) == records_before + len(instances)  # known events were not duplicated


async def test_once_params_are_validated(calendar_account):
    from worker.errors import BadInput

    acct = calendar_account()
    with pytest.raises(BadInput, match="from"):
        await sync_once(acct.url, acct.id, "sync_calendar_once", {"from": "2030-01-12", "to": "2030-01-10"})


async def test_gmail_failing_permanently_does_not_stop_calendar(calendar_account):
    from worker.app import open_app_async
    from worker.providers.google.capabilities import CALENDAR_READONLY, GMAIL_READONLY
    from worker.tasks.dispatch import defer_live

    acct = calendar_account(capabilities={"sync_inbox_live": None, "sync_calendar_live": None},
                            scopes=[GMAIL_READONLY, CALENDAR_READONLY])
    acct.sandbox.import_message(acct.email, b"From: a@b.example\r\nTo: x@y.example\r\nSubject: hi\r\n\r\nbody",
                                ["INBOX"])
    await acct.run("sync_inbox_live")  # full Gmail sync works; from now on history fails for good
    assert acct.state(stream="", capability="sync_inbox_live")["status"] == "ok"
    acct.sandbox.add_fault(r"/gmail/v1/users/me/history", kind="status", status=400, count=None)
    event = acct.add("still synced")
    async with open_app_async(acct.url) as app:
        await defer_live(acct.id, "sync_inbox_live")
        await defer_live(acct.id, "sync_calendar_live")
        await app.run_worker_async(concurrency=2, wait=False, queues=["default"])
    gmail = acct.state(stream="", capability="sync_inbox_live")
    assert gmail["status"] == "failing" and gmail["consecutive_failures"] == 1 and "400" in gmail["last_error"]
    assert acct.state()["status"] == "ok" and acct.state(stream="")["status"] == "ok"
    assert acct.key(event) in acct.heads()
    acct.sandbox.clear_faults()
