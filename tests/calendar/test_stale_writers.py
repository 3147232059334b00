"""A manual calendar sync overlapping the live one never undoes what the live sync staged meanwhile:
neither an event's cancellation nor a newer edit (invariant 4)."""

import pytest

from worker.app import open_app_async
from worker.providers.google.calendar.api import RESOURCE, CalendarApi
from worker.providers.google.calendar.live import to_objects
from worker.providers.google.context import google_context
from worker.sync.cursors import OnceProgress
from worker.sync.stager import PageStager

pytestmark = pytest.mark.asyncio


async def test_a_manual_sync_that_listed_events_before_they_changed_never_restores_their_old_state(calendar_account):
    acct = calendar_account()
    cancelled, edited = acct.add("cancelled meanwhile", day=10), acct.add("edited meanwhile", day=11)
    await acct.run()
    async with open_app_async(acct.url) as app, google_context(app.connector.pool, acct.id, "calendar") as ctx:
        api = CalendarApi(ctx)
        calendar_id = api.resolve("primary")
        once = PageStager(ctx, "sync_calendar_once", stream="run:overlap")
        await once.load_cursor()  # the manual run starts and lists ...
        page = await api.list_events(calendar_id, timeMin="2030-01-01T00:00:00Z", timeMax="2030-02-01T00:00:00Z",
                                     singleEvents=False, maxResults=250)
        acct.sandbox.cancel_event(acct.email, cancelled)
        acct.sandbox.update_event(acct.email, edited, {"summary": "new title"})
        await acct.run()  # ... while the live sync stages the cancellation and the edit
        assert acct.heads()[acct.key(cancelled)]["is_deleted"] is True

        await once.stage_page(to_objects(calendar_id, page["items"]), OnceProgress(done=True), resource=RESOURCE)

    heads = acct.heads()
    assert heads[acct.key(cancelled)]["is_deleted"] is True
    assert heads[acct.key(edited)]["payload"]["summary"] == "new title"
    assert acct.records(capability="sync_calendar_once") == []
