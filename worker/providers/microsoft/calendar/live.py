"""`sync_calendar_live`: per calendar, Graph's calendar-view delta over a window around today.

One sync_state row per calendar (stream = the calendar as configured), each driven by the sync
core's live loop. The window is fixed when a full round starts and kept in the cursor; once a
quarter of its future part has passed, the next run starts a new round over the moved window
(a full resync, settled by reconcile), so the synced range never falls behind. An expired delta
token (410) does the same.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from worker.providers.microsoft.calendar.api import EVENT, CalendarApi
from worker.providers.microsoft.calendar.events import SeriesBook, to_objects
from worker.providers.microsoft.calendar.reconcile import CalendarReconciler, window
from worker.providers.microsoft.capabilities import CalendarLiveSettings
from worker.providers.microsoft.client.errors import CursorExpired, MalformedResponse
from worker.sync.cursors import FullSync, LiveCursor
from worker.sync.loops import Page, run_live
from worker.sync.outcome import run_streams
from worker.sync.reconcile import reconcile
from worker.sync.stager import PageStager

CAPABILITY = "sync_calendar_live"
EXPIRED_REASON = "delta token expired (HTTP 410) or the window moved"


class ViewFullSync(FullSync):
    calendarId: str
    start: str
    end: str


class ViewCursor(LiveCursor[ViewFullSync]):
    deltaLink: str | None = None
    nextLink: str | None = None
    start: str | None = None
    end: str | None = None

    def is_incremental(self) -> bool:
        return self.deltaLink is not None


def window_moved(cursor: ViewCursor, settings: CalendarLiveSettings) -> bool:
    if not cursor.end:
        return False
    end = datetime.fromisoformat(cursor.end.replace("Z", "+00:00"))
    return end - datetime.now(timezone.utc) < timedelta(days=settings.future_days * 0.75)


class CalendarStream:
    cursor_model = ViewCursor
    expired_reason = EXPIRED_REASON

    def __init__(self, ctx, api: CalendarApi, name: str, calendar_id: str, settings: CalendarLiveSettings) -> None:
        self.ctx, self.api, self.name, self.calendar_id, self.settings = ctx, api, name, calendar_id, settings
        self.book = SeriesBook(api)

    async def begin_full(self, reason: str, settle: bool) -> ViewCursor:
        start, end = window(self.settings)
        return ViewCursor(full=ViewFullSync(calendarId=self.calendar_id, start=start, end=end, reason=reason,
                                            settle=settle or None, startedAt=datetime.now(timezone.utc).isoformat()))

    def _links(self, page: dict) -> tuple[str | None, str | None]:
        following, delta = page.get("@odata.nextLink"), page.get("@odata.deltaLink")
        if not following and not delta:
            raise MalformedResponse(200, "noDeltaLink", f"a delta page of calendar {self.name} has no link")
        return following, delta

    async def full_page(self, cursor: ViewCursor) -> Page[ViewCursor]:
        full = cursor.full
        page = await self.api.delta(full.calendarId, full.start, full.end, link=full.pageToken)
        fetched = await to_objects(self.api, self.book, page.get("value") or [])
        following, delta = self._links(page)
        if following:
            return Page(fetched.objects, ViewCursor(full=full.model_copy(update={"pageToken": following})), more=True,
                        failures=fetched.failures)
        done = ViewCursor(deltaLink=delta, start=full.start, end=full.end, settle=full.settle)
        return Page(fetched.objects, done, more=False, failures=fetched.failures)

    async def incremental_page(self, cursor: ViewCursor) -> Page[ViewCursor]:
        if window_moved(cursor, self.settings):
            raise CursorExpired(0, "windowMoved", "the synced window moved on")
        page = await self.api.delta(link=cursor.nextLink or cursor.deltaLink)
        fetched = await to_objects(self.api, self.book, page.get("value") or [])
        following, delta = self._links(page)
        same = {"start": cursor.start, "end": cursor.end}
        nxt = (ViewCursor(deltaLink=cursor.deltaLink, nextLink=following, **same) if following
               else ViewCursor(deltaLink=delta, **same))
        return Page(fetched.objects, nxt, more=bool(following), failures=fetched.failures)

    async def settle(self) -> None:
        """Events deleted while the token was dead, or now outside the window, are absent from the
        new round: reconcile with repair tombstones the deleted and restages the others."""
        await reconcile(CalendarReconciler(self.ctx), do_repair=True)


async def sync_calendar(ctx, api: CalendarApi, name: str, settings: CalendarLiveSettings) -> dict:
    calendar_id = name if settings.calendars == "all" else (await api.calendar(name))["id"]  # a 404 fails this stream
    stager = PageStager(ctx, CAPABILITY, stream=name, resource=EVENT)
    mode, _ = await run_live(CalendarStream(ctx, api, name, calendar_id, settings), stager)
    return {"mode": mode, "staged": stager.staged}


async def sync_calendar_live(ctx) -> dict:
    settings = CalendarLiveSettings.model_validate(ctx.settings_of(CAPABILITY))
    api = CalendarApi(ctx.client, ctx.ms.page_size)
    names = [c["id"] for c in await api.calendars()] if settings.calendars == "all" else settings.calendars
    results = await run_streams(ctx, CAPABILITY, names, lambda name: sync_calendar(ctx, api, name, settings))
    return {"calendars": results, "staged": sum(r["staged"] for r in results.values())}
