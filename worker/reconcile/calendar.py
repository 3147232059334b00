"""Calendar reconcile: `events.list` ids of the chosen calendars (not cancelled, series unexpanded)
against raw_heads and the iCalUIDs of product.meetings."""

from __future__ import annotations

from worker.providers.google.calendar.api import RESOURCE, CalendarApi, external_id
from worker.providers.google.calendar.live import CAPABILITY, chosen_calendars
from worker.providers.google.capabilities import CalendarLiveSettings
from worker.providers.google.errors import NotFound
from worker.providers.google.gmail.live import PageStager
from worker.reconcile.result import Reconciliation
from worker.reconcile.staged import stream_staged
from worker.store.staging import RawObject


async def provider_events(api: CalendarApi, calendars: list[str]) -> dict[str, str]:
    """external id → iCalUID of every live event."""
    events: dict[str, str] = {}
    for calendar_id in calendars:
        token = None
        while True:
            page = await api.list_events(calendar_id, showDeleted=False, singleEvents=False, maxResults=2500,
                                         pageToken=token)
            for event in page.get("items", []):
                if event.get("status") != "cancelled":
                    events[external_id(calendar_id, event["id"])] = event.get("iCalUID") or event["id"]
            token = page.get("nextPageToken")
            if not token:
                break
    return events


async def staged_ids(ctx, calendars: list[str]) -> set[str]:
    prefixes = tuple(f"{c}/" for c in calendars)
    return {external_id async for external_id, _, status in stream_staged(ctx, RESOURCE)
            if external_id.startswith(prefixes) and status != "cancelled"}


async def normalized_uids(ctx) -> set[str] | None:
    async with ctx.db() as conn:
        present = await (await conn.execute("select to_regclass('product.meetings') is not null as p")).fetchone()
        if not present["p"]:
            return None
        rows = await (await conn.execute("select distinct ical_uid from product.meetings"
                                         " where tenant_id = %s and status <> 'cancelled'", (ctx.tenant_id,))).fetchall()
    return {r["ical_uid"] for r in rows}


async def repair(ctx, api: CalendarApi, ids: set[str]) -> int:
    """Stage what Google holds now for each id: the event, or a tombstone when it is gone."""
    stager = PageStager(ctx, CAPABILITY)
    await stager.begin_fetch()
    objects, failures = [], []
    for key in sorted(ids):
        calendar_id, _, event_id = key.rpartition("/")
        try:
            event = await api.get_event(calendar_id, event_id)
            objects.append(RawObject(key, event, is_deleted=event.get("status") == "cancelled"))
        except NotFound:
            objects.append(RawObject(key, {"id": event_id, "status": "cancelled"}, is_deleted=True))
        except Exception as error:  # noqa: BLE001 - recorded as an item failure, retried later
            failures.append((key, str(error)))
    await stager.commit(objects, None, resource=RESOURCE, failures=failures)
    return stager.staged


async def reconcile_calendar(ctx, do_repair: bool) -> Reconciliation:
    settings = CalendarLiveSettings.model_validate(ctx.connection["settings"].get(CAPABILITY) or {})
    api = CalendarApi(ctx)
    calendars = await chosen_calendars(api, settings)
    listed = await provider_events(api, calendars)
    staged = await staged_ids(ctx, calendars)
    result = Reconciliation(CAPABILITY, provider=len(listed), staged=len(staged),
                            missing=sorted(set(listed) - staged), extra=sorted(staged - set(listed)))
    if do_repair and (result.missing or result.extra):
        result.repaired = await repair(ctx, api, set(result.missing) | set(result.extra))
        staged = await staged_ids(ctx, calendars)
        result.staged, result.missing, result.extra = len(staged), sorted(set(listed) - staged), sorted(staged - set(listed))
    uids = await normalized_uids(ctx)
    if uids is not None:
        result.normalized = len(uids)
        result.not_normalized = sorted(key for key, uid in listed.items() if uid not in uids)
    return result
