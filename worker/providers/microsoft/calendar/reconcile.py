"""Outlook calendar reconcile: the chosen calendars' instances in the synced window against what is
staged and the tenant's meetings; the comparison is worker/sync/reconcile.py. Also the settle step."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from worker.providers.microsoft.calendar.api import EVENT, CalendarApi, stamp
from worker.providers.microsoft.calendar.events import SeriesBook, to_objects
from worker.providers.microsoft.capabilities import CalendarLiveSettings
from worker.store.reads import normalized_meeting_uids, stream_staged_field
from worker.sync.stager import PageStager

CAPABILITY = "sync_calendar_live"


def window(settings: CalendarLiveSettings, now: datetime | None = None) -> tuple[str, str]:
    """The calendar view synced now: from `past_days` ago to `future_days` ahead, whole UTC days."""
    today = (now or datetime.now(timezone.utc)).replace(hour=0, minute=0, second=0, microsecond=0)
    return stamp(today - timedelta(days=settings.past_days)), stamp(today + timedelta(days=settings.future_days))


async def chosen_calendars(api: CalendarApi, settings: CalendarLiveSettings) -> dict[str, str]:
    """stream name (as configured) → calendar id."""
    if settings.calendars == "all":
        return {c["id"]: c["id"] for c in await api.calendars()}
    return {name: (await api.calendar(name))["id"] for name in settings.calendars}


class CalendarReconciler:
    capability = CAPABILITY
    normalized_per_connection = False  # meetings are the tenant's, shared by every calendar holding them

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.settings = CalendarLiveSettings.model_validate(ctx.settings_of(CAPABILITY))
        self.api = CalendarApi(ctx.client, ctx.ms.page_size)
        self.book = SeriesBook(self.api)

    async def provider_ids(self) -> dict[str, str]:
        """event id → the iCalUId of its meeting (its series' for an occurrence), every live instance."""
        start, end = window(self.settings)
        instances = []
        for calendar_id in (await chosen_calendars(self.api, self.settings)).values():
            page = await self.api.view(calendar_id, start, end)
            while True:
                instances += [e for e in page.get("value") or [] if e.get("id") and not e.get("isCancelled")]
                if not page.get("@odata.nextLink"):
                    break
                page = await self.api.view(calendar_id, start, end, link=page["@odata.nextLink"])
        masters, _ = await self.book.masters(instances)
        uid_of = {m.external_id: m.payload.get("iCalUId") for m in masters}
        return {e["id"]: (uid_of.get(e.get("seriesMasterId")) or e.get("iCalUId") or e["id"]) for e in instances}

    async def staged_ids(self) -> set[str]:
        """Staged live instances (series masters are staged beside them but never in a view)."""
        async with self.ctx.db() as conn:
            return {external_id async for external_id, kind in
                    stream_staged_field(conn, self.ctx.connection_id, EVENT, "type") if kind != "seriesMaster"}

    async def normalized_keys(self) -> set[str] | None:
        async with self.ctx.db() as conn:
            return await normalized_meeting_uids(conn, self.ctx.tenant_id)

    async def repair(self, ids: set[str]) -> int:
        """Stage what Graph holds now for each id: the event, or a tombstone when it is gone."""
        stager = PageStager(self.ctx, CAPABILITY, resource=EVENT)
        ordered = sorted(ids)
        for start in range(0, len(ordered), 200):
            await stager.begin_fetch()
            entries = [{"id": i, "@removed": {"reason": "deleted"}} for i in ordered[start:start + 200]]
            fetched = await to_objects(self.api, self.book, entries)
            await stager.stage_page(fetched.objects, None, failures=fetched.failures)
        return stager.staged
