"""`sync_calendar_live`: per calendar, a full sync once, then syncToken increments.

One sync_state row per calendar (capability `sync_calendar_live`, stream = calendar id), each
driven by the sync core's live loop (worker/sync/loops.py): a killed worker resumes at the page it
had not yet stored; a 410 `fullSyncRequired` resyncs that calendar in full and settles it
(staging dedups identical payloads, so nothing is duplicated downstream). One failing calendar is
recorded on its row while the others go on.
"""

from __future__ import annotations

from datetime import datetime, timezone

from worker.errors import IntegrationsError
from worker.providers.google.calendar.api import RESOURCE, CalendarApi, external_id
from worker.providers.google.calendar.reconcile import CalendarReconciler, chosen_calendars
from worker.providers.google.capabilities import CalendarLiveSettings
from worker.store.staging import RawObject
from worker.sync.cursors import FullSync, LiveCursor
from worker.sync.loops import Page, run_live
from worker.sync.outcome import run_streams
from worker.sync.stager import PageStager

CAPABILITY = "sync_calendar_live"
PAGE_SIZE = 250  # events.list maxResults (tests lower it to exercise paging)
EXPIRED_REASON = "sync token expired (HTTP 410 fullSyncRequired)"


class CalendarCursor(LiveCursor[FullSync]):
    """`{syncToken}` incremental; `{syncToken, pageToken}` mid-way; `{full: {pageToken}}` listing."""

    syncToken: str | None = None
    pageToken: str | None = None

    def is_incremental(self) -> bool:
        return self.syncToken is not None


def to_objects(calendar_id: str, items: list[dict]) -> list[RawObject]:
    """Events exactly as Google returned them; cancelled ones are tombstone versions."""
    return [RawObject(external_id(calendar_id, e["id"]), e, is_deleted=e.get("status") == "cancelled")
            for e in items]


def list_params(page_token: str | None = None, sync_token: str | None = None) -> dict:
    params = {"showDeleted": True, "singleEvents": False, "maxResults": PAGE_SIZE}
    if page_token:
        return {**params, "pageToken": page_token}
    if sync_token:
        return {**params, "syncToken": sync_token}
    return params


class CalendarStream:
    """One calendar as the live loop drives it."""

    cursor_model = CalendarCursor
    expired_reason = EXPIRED_REASON

    def __init__(self, ctx, api: CalendarApi, calendar_id: str) -> None:
        self.ctx, self.api, self.calendar_id = ctx, api, calendar_id

    async def begin_full(self, reason: str, settle: bool) -> CalendarCursor:
        return CalendarCursor(full=FullSync(reason=reason, startedAt=datetime.now(timezone.utc).isoformat(),
                                            settle=settle or None))

    def _last(self, page: dict) -> str:
        if not page.get("nextSyncToken"):
            raise IntegrationsError(f"events.list of {self.calendar_id} ended without nextSyncToken")
        return page["nextSyncToken"]

    async def full_page(self, cursor: CalendarCursor) -> Page[CalendarCursor]:
        page = await self.api.list_events(self.calendar_id, **list_params(page_token=cursor.full.pageToken))
        objects = to_objects(self.calendar_id, page.get("items", []))
        if page.get("nextPageToken"):
            following = CalendarCursor(full=cursor.full.model_copy(update={"pageToken": page["nextPageToken"]}))
            return Page(objects, following, more=True)
        return Page(objects, CalendarCursor(syncToken=self._last(page), settle=cursor.full.settle), more=False)

    async def incremental_page(self, cursor: CalendarCursor) -> Page[CalendarCursor]:
        page = await self.api.list_events(self.calendar_id, **list_params(page_token=cursor.pageToken,
                                                                          sync_token=cursor.syncToken))
        objects = to_objects(self.calendar_id, page.get("items", []))
        if page.get("nextPageToken"):
            return Page(objects, CalendarCursor(syncToken=cursor.syncToken, pageToken=page["nextPageToken"]),
                        more=True)
        return Page(objects, CalendarCursor(syncToken=self._last(page)), more=False)

    async def settle(self) -> None:
        """Events deleted while the token was dead may be absent from the full listing: stage what
        Google holds now for every staged event it no longer lists (a tombstone when gone)."""
        reconciler = CalendarReconciler(self.ctx, calendars=[self.calendar_id])
        vanished = await reconciler.staged_ids() - set(await reconciler.provider_ids())
        if vanished:
            await reconciler.repair(vanished)


async def sync_calendar(ctx, api: CalendarApi, calendar_id: str) -> dict:
    stager = PageStager(ctx, CAPABILITY, stream=calendar_id, resource=RESOURCE)
    mode, _ = await run_live(CalendarStream(ctx, api, calendar_id), stager)
    return {"mode": mode, "staged": stager.staged}


async def sync_calendar_live(ctx) -> dict:
    """Every chosen calendar in turn, each on its own row (worker/sync/outcome.py, run_streams)."""
    settings = CalendarLiveSettings.model_validate(ctx.settings_of(CAPABILITY))
    api = CalendarApi(ctx)
    calendars = await chosen_calendars(api, settings)
    results = await run_streams(ctx, CAPABILITY, calendars, lambda calendar_id: sync_calendar(ctx, api, calendar_id))
    return {"calendars": results, "staged": sum(r["staged"] for r in results.values())}
