"""sync_calendar_live against the sandbox: full, resume (after a failure and after a SIGKILL), incremental,
recurring, 410, multi-calendar."""

import pytest

from worker.app import open_app_async

pytestmark = pytest.mark.asyncio


async def test_full_sync_stages_exact_events_and_saves_sync_token(calendar_account):
    acct = calendar_account()
    ids = [acct.add(f"meeting {i}", day=i + 1) for i in range(5)]
    await acct.run()
    heads = acct.heads()
    assert set(heads) == {acct.key(i) for i in ids}
    sample = heads[acct.key(ids[0])]
    assert sample["payload"] == acct.sandbox.get_event(acct.email, ids[0])  # exactly Google's Event
    assert sample["capability"] == "sync_calendar_live" and sample["is_deleted"] is False
    state = acct.state()
    assert state["status"] == "ok" and state["cursor"]["syncToken"] and state["full_syncs"] == 1
    assert acct.state(stream="")["status"] == "ok"
    listed = acct.sandbox.requests(path="/calendar/v3/calendars/.*/events$")
    assert listed and all(r["query"]["showDeleted"] == ["true"] and r["query"]["singleEvents"] == ["false"]
                          for r in listed)


async def test_a_full_sync_failing_on_a_page_resumes_at_that_page(calendar_account, small_pages, monkeypatch):
    """The run fails hard on page 2 (no process dies: see the SIGKILL variant below)."""
    from worker.providers.google.calendar import live

    acct = calendar_account()
    ids = [acct.add(f"m{i}", day=i + 1) for i in range(6)]  # three pages of two
    calls, original = [], live.CalendarApi.list_events

    async def list_events(self, calendar_id, **params):
        if self.ctx.connection_id == acct.id:
            calls.append(params)
        if len(calls) == 2 and self.ctx.connection_id == acct.id:  # page 2's request fails hard, the job ends
            acct.sandbox.add_fault(r"/calendar/v3/calendars/[^/]+/events$", kind="status", status=400, count=1)
        return await original(self, calendar_id, **params)

    monkeypatch.setattr(live.CalendarApi, "list_events", list_events)
    await acct.run()
    monkeypatch.setattr(live.CalendarApi, "list_events", original)
    state = acct.state()
    assert state["cursor"]["full"]["pageToken"] and state["status"] == "failing"
    assert len(acct.heads()) == 2  # page 1 committed with its cursor
    acct.sandbox.clear_requests()
    await acct.run()
    assert set(acct.heads()) == {acct.key(i) for i in ids}
    lists = acct.sandbox.requests(path=r"/events$")
    assert len(lists) == 2 and all("pageToken" in r["query"] for r in lists)  # page 1 not fetched again
    state = acct.state()
    assert state["status"] == "ok" and "syncToken" in state["cursor"] and state["full_syncs"] == 1
    assert state["last_full_sync_reason"] == "first sync"
    assert len(acct.records()) == 6


async def test_a_full_sync_whose_worker_is_sigkilled_resumes_at_the_uncommitted_page(own_calendar_account,
                                                                                    small_pages, tmp_path):
    """A real `integrations worker` process dies (SIGKILL) while Google holds its request for
    page 2: page 1 and its cursor are committed, nothing of page 2 is; the recovered job resumes
    at page 2 and never fetches page 1 again."""
    from tests.fixtures.killable import KillableWorker, doing_jobs, recover
    from worker.tasks.dispatch import defer_live

    acct = own_calendar_account()
    ids = [acct.add(f"m{i}", day=i + 1) for i in range(6)]  # three pages of two
    page_two = acct.sandbox.add_fault(r"/calendar/v3/calendars/[^/]+/events$", kind="hold", skip=1)
    async with open_app_async(acct.url):
        await defer_live(acct.id, "sync_calendar_live")
    worker = KillableWorker(acct.url, tmp_path / "worker.log", module="tests.calendar.small_pages_worker",
                            args=("2",))
    try:
        assert acct.sandbox.wait_held(page_two["id"], timeout=60), worker.output()
        [job] = doing_jobs(acct.url)
        worker.sigkill()
    finally:
        worker.stop()
        acct.sandbox.clear_faults()  # lets the held request go; its answer reaches no one
    state = acct.state()
    assert state["cursor"]["full"]["pageToken"] and state["status"] == "running"
    assert len(acct.heads()) == 2  # page 1, committed with its cursor

    acct.sandbox.clear_requests()
    await recover(acct.url, job["id"])
    await acct.drain()
    assert set(acct.heads()) == {acct.key(i) for i in ids}
    lists = acct.sandbox.requests(path=r"/events$")
    assert len(lists) == 2 and all("pageToken" in r["query"] for r in lists)  # page 1 not fetched again
    state = acct.state()
    assert state["status"] == "ok" and state["cursor"].keys() == {"syncToken"} and state["full_syncs"] == 1
    assert len(acct.records()) == 6


async def test_incremental_changes_and_cancellations(calendar_account):
    acct = calendar_account()
    _keep, change, gone = acct.add("keep"), acct.add("change", day=2), acct.add("gone", day=3)
    await acct.run()
    before = len(acct.records())
    acct.sandbox.clear_requests()
    new = acct.add("new", day=4)
    acct.sandbox.update_event(acct.email, change, {"summary": "changed"})
    acct.sandbox.cancel_event(acct.email, gone)
    await acct.run()
    heads = acct.heads()
    assert heads[acct.key(new)]["payload"]["summary"] == "new"
    assert heads[acct.key(change)]["payload"]["summary"] == "changed"
    assert heads[acct.key(gone)]["is_deleted"] is True and heads[acct.key(gone)]["payload"]["status"] == "cancelled"
    assert len(acct.records()) == before + 3  # keep was not restaged
    assert acct.state()["full_syncs"] == 1
    assert all("syncToken" in r["query"] for r in acct.sandbox.requests(path=r"/events$"))


async def test_recurring_series_with_exceptions(calendar_account):
    acct = calendar_account()
    master = acct.add("weekly", recurrence=["RRULE:FREQ=WEEKLY;COUNT=5"])
    moved = acct.sandbox.add_exception(acct.email, master, "2030-01-08T09:00:00Z",
                                       changes={"summary": "moved", "start": {"dateTime": "2030-01-08T11:00:00Z"},
                                                "end": {"dateTime": "2030-01-08T12:00:00Z"}})
    await acct.run()
    heads = acct.heads()
    assert heads[acct.key(master)]["payload"]["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=5"]
    assert heads[acct.key(moved["id"])]["payload"]["recurringEventId"] == master
    assert heads[acct.key(moved["id"])]["payload"]["originalStartTime"]
    assert len(heads) == 2  # master + one exception, no expanded instances
    cancelled = acct.sandbox.add_exception(acct.email, master, "2030-01-15T09:00:00Z", cancelled=True)
    await acct.run()
    head = acct.heads()[acct.key(cancelled["id"])]
    assert head["is_deleted"] is True
    assert set(head["payload"]) <= {"kind", "etag", "id", "status", "recurringEventId", "originalStartTime"}
    assert head["payload"]["recurringEventId"] == master


async def test_expired_sync_token_resyncs_in_full_without_duplicates(calendar_account, small_pages):
    acct = calendar_account()
    ids = [acct.add(f"e{i}", day=i + 1) for i in range(5)]
    await acct.run()
    count = len(acct.records())
    acct.sandbox.invalidate_sync_tokens(acct.email)
    late = acct.add("after expiry", day=9)
    await acct.run()
    state = acct.state()
    assert state["status"] == "ok" and state["full_syncs"] == 2 and "410" in state["last_full_sync_reason"]
    assert set(acct.heads()) == {acct.key(i) for i in ids + [late]}
    assert len(acct.records()) == count + 1
    await acct.run()  # and the new token works
    assert acct.state()["full_syncs"] == 2


async def test_each_calendar_has_its_own_cursor(calendar_account):
    acct = calendar_account(capabilities={"sync_calendar_live": {"calendars": "all"}})
    acct.sandbox.add_calendar(acct.email, "team@group.calendar.google.com", "Team")
    mine = acct.add("mine")
    team = acct.add("team standup", calendar_id="team@group.calendar.google.com")
    await acct.run()
    states = acct.states()
    assert {acct.email, "team@group.calendar.google.com", ""} <= set(states)
    assert states[acct.email]["cursor"]["syncToken"] != states["team@group.calendar.google.com"]["cursor"]["syncToken"]
    assert set(acct.heads()) == {acct.key(mine), acct.key(team, "team@group.calendar.google.com")}
    acct.sandbox.invalidate_sync_tokens(acct.email, "team@group.calendar.google.com")
    acct.add("later", day=5, calendar_id="team@group.calendar.google.com")
    await acct.run()
    states = acct.states()
    assert states["team@group.calendar.google.com"]["full_syncs"] == 2
    assert states[acct.email]["full_syncs"] == 1  # the other calendar's cursor was left alone


async def test_a_resync_failing_before_settling_settles_on_the_next_run(calendar_account, monkeypatch):
    """The run fails right after the listing (no process dies: the SIGKILL twin for Gmail is in
    tests/chaos/test_resync_crash.py)."""
    from worker.providers.google.calendar import live

    acct = calendar_account()
    keep, gone = acct.add("keep", day=1), acct.add("gone", day=2)
    await acct.run()
    acct.sandbox.invalidate_sync_tokens(acct.email)
    original = live.CalendarStream.settle

    async def failing(*args, **kwargs):
        raise RuntimeError("the run fails after the listing")

    monkeypatch.setattr(live.CalendarStream, "settle", failing)
    await acct.run()  # the resync lists everything, then fails before settling
    assert acct.state()["cursor"].get("settle") is True

    seen = []

    async def settle(stream):
        seen.append(stream.calendar_id)
        await original(stream)

    monkeypatch.setattr(live.CalendarStream, "settle", settle)
    await acct.run()
    assert seen == [acct.email]
    assert acct.state()["cursor"].keys() == {"syncToken"}
    assert set(acct.heads()) == {acct.key(keep), acct.key(gone)}
