"""Calendar reconcile: `events.list` ids of the chosen calendars (not cancelled, series unexpanded)
against raw_heads and the iCalUIDs of product.meetings; the comparison is worker/sync/reconcile.py."""

from __future__ import annotations

from worker.providers.google.calendar.api import RESOURCE, CalendarApi, external_id
from worker.providers.google.capabilities import CalendarLiveSettings
from worker.providers.google.client.errors import NotFound
from worker.store.reads import normalized_meeting_uids, stream_staged
from worker.store.staging import RawObject
from worker.sync.stager import PageStager

CAPABILITY = "sync_calendar_live"


async def chosen_calendars(api: CalendarApi, settings: CalendarLiveSettings) -> list[str]:
    if settings.calendars == "all":
        ids = [entry["id"] for entry in await api.list_calendars()]
    else:
        ids = list(settings.calendars)
    resolved = []
    for calendar_id in ids:
        calendar_id = api.resolve(calendar_id)
        if calendar_id not in resolved:
            resolved.append(calendar_id)
    return resolved


class CalendarReconciler:
    capability = CAPABILITY
    normalized_per_connection = False  # meetings are the tenant's, shared by every calendar holding them

    def __init__(self, ctx, calendars: list[str] | None = None) -> None:
        self.ctx = ctx
        self.api = CalendarApi(ctx)
        self._calendars = calendars

    async def calendars(self) -> list[str]:
        if self._calendars is None:
            settings = CalendarLiveSettings.model_validate(self.ctx.settings_of(CAPABILITY))
            self._calendars = await chosen_calendars(self.api, settings)
        return self._calendars

    async def provider_ids(self) -> dict[str, str]:
        """external id → iCalUID of every live event."""
        events: dict[str, str] = {}
        for calendar_id in await self.calendars():
            token = None
            while True:
                page = await self.api.list_events(calendar_id, showDeleted=False, singleEvents=False,
                                                  maxResults=2500, pageToken=token)
                for event in page.get("items", []):
                    if event.get("status") != "cancelled":
                        events[external_id(calendar_id, event["id"])] = event.get("iCalUID") or event["id"]
                token = page.get("nextPageToken")
                if not token:
                    break
        return events

    async def staged_ids(self) -> set[str]:
        prefixes = tuple(f"{c}/" for c in await self.calendars())
        async with self.ctx.db() as conn:
            return {external_id async for external_id, _, status in stream_staged(conn, self.ctx.connection_id, RESOURCE)
                    if external_id.startswith(prefixes) and status != "cancelled"}

    async def normalized_keys(self) -> set[str] | None:
        async with self.ctx.db() as conn:
            return await normalized_meeting_uids(conn, self.ctx.tenant_id)

    async def repair(self, ids: set[str]) -> int:
        """Stage what Google holds now for each id: the event, or a tombstone when it is gone."""
        stager = PageStager(self.ctx, CAPABILITY, resource=RESOURCE)
        await stager.begin_fetch()
        objects, failures = [], []
        for key in sorted(ids):
            calendar_id, _, event_id = key.rpartition("/")
            try:
                event = await self.api.get_event(calendar_id, event_id)
                objects.append(RawObject(key, event, is_deleted=event.get("status") == "cancelled"))
            except NotFound:
                objects.append(RawObject(key, {"id": event_id, "status": "cancelled"}, is_deleted=True))
            except Exception as error:  # noqa: BLE001 - recorded as an item failure, retried later
                failures.append((key, str(error)))
        await stager.stage_page(objects, None, failures=failures)
        return stager.staged
