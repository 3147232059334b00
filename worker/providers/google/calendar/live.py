"""`sync_calendar_live`: per calendar, a full sync once, then syncToken increments.

One sync_state row per calendar (capability `sync_calendar_live`, stream = calendar id). Cursor:
  {"syncToken": T}                                   incremental from T
  {"syncToken": T, "pageToken": P}                   an incremental run interrupted between pages
  {"full": {"pageToken": P | None, "reason": ..., "startedAt": ...}}   a full sync in flight
Every page's raw rows and the cursor commit together, so a killed worker resumes at the page it
had not yet stored. A 410 `fullSyncRequired` clears the cursor and syncs that calendar in full
(staging dedups identical payloads, so nothing is duplicated downstream).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from worker.errors import IntegrationsError
from worker.providers.google.calendar.api import RESOURCE, CalendarApi, external_id
from worker.providers.google.capabilities import CalendarLiveSettings
from worker.providers.google.errors import CursorExpired, GoogleError, Reauth
from worker.providers.google.gmail.live import PageStager
from worker.settings import get_settings
from worker.store import query
from worker.store.staging import RawObject

logger = logging.getLogger(__name__)

CAPABILITY = "sync_calendar_live"
PAGE_SIZE = 250  # events.list maxResults (tests lower it to exercise paging)
EXPIRED_REASON = "sync token expired (HTTP 410 fullSyncRequired)"


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


async def full_sync(api: CalendarApi, stager: PageStager, calendar_id: str, cursor: dict, reason: str) -> dict:
    """A `settle` flag in the cursor (a resync after a 410) rides along until the final cursor,
    so the settle step runs even if this worker dies right after the listing."""
    full = cursor.get("full")
    if not full:
        full = {"pageToken": None, "reason": reason, "startedAt": datetime.now(timezone.utc).isoformat(),
                **({"settle": True} if cursor.get("settle") else {})}
        await stager.record_full_sync(reason)
        await stager.commit([], {"full": full}, resource=RESOURCE)
    while True:
        page = await api.list_events(calendar_id, **list_params(page_token=full["pageToken"]))
        objects = to_objects(calendar_id, page.get("items", []))
        if page.get("nextPageToken"):
            full = {**full, "pageToken": page["nextPageToken"]}
            await stager.commit(objects, {"full": full}, resource=RESOURCE)
            continue
        if not page.get("nextSyncToken"):
            raise IntegrationsError(f"events.list of {calendar_id} ended without nextSyncToken")
        done = {"syncToken": page["nextSyncToken"], **({"settle": True} if full.get("settle") else {})}
        await stager.commit(objects, done, resource=RESOURCE)
        return done


async def incremental_sync(api: CalendarApi, stager: PageStager, calendar_id: str, cursor: dict) -> dict:
    sync_token = cursor["syncToken"]
    page_token = cursor.get("pageToken")
    while True:
        page = await api.list_events(calendar_id, **list_params(page_token=page_token, sync_token=sync_token))
        objects = to_objects(calendar_id, page.get("items", []))
        page_token = page.get("nextPageToken")
        if page_token:
            cursor = {"syncToken": sync_token, "pageToken": page_token}
        elif page.get("nextSyncToken"):
            cursor = {"syncToken": page["nextSyncToken"]}
        else:
            raise IntegrationsError(f"events.list of {calendar_id} ended without nextSyncToken")
        await stager.commit(objects, cursor, resource=RESOURCE)
        if not page_token:
            return cursor


async def settle_after_resync(ctx, api: CalendarApi, calendar_id: str) -> None:
    """Events deleted while the token was dead may be absent from the full listing: stage what
    Google holds now for every staged event it no longer lists (a tombstone when gone)."""
    from worker.reconcile.calendar import provider_events, repair, staged_ids

    vanished = await staged_ids(ctx, [calendar_id]) - set(await provider_events(api, [calendar_id]))
    if vanished:
        await repair(ctx, api, vanished)


async def sync_calendar(ctx, api: CalendarApi, calendar_id: str) -> dict:
    """One calendar: resume a full sync, follow its syncToken, or resync in full after a 410 —
    and settle a resync (stage what vanished meanwhile) before its cursor loses the flag."""
    stager = PageStager(ctx, CAPABILITY, stream=calendar_id)
    cursor = await stager.load_cursor()
    if cursor.get("settle") and "full" not in cursor and "syncToken" in cursor:
        mode = "full-resync"  # listed in full, then its worker died before settling
    elif "syncToken" in cursor and "full" not in cursor:
        try:
            cursor = await incremental_sync(api, stager, calendar_id, cursor)
            mode = "incremental"
        except CursorExpired:
            logger.warning("sync token of %s/%s expired; full resync", ctx.connection_id, calendar_id)
            await stager.commit([], {"settle": True}, resource=RESOURCE)  # the dead token goes, the flag stays
            cursor = await full_sync(api, stager, calendar_id, {"settle": True}, reason=EXPIRED_REASON)
            mode = "full-resync"
    else:
        reason = "resumed" if "full" in cursor else "first sync"
        settle = {"settle": True} if cursor.get("settle") or cursor.get("full", {}).get("settle") else {}
        try:
            cursor = await full_sync(api, stager, calendar_id, cursor if "full" in cursor else settle, reason=reason)
        except CursorExpired:  # a page token of an old full sync is no longer valid: start over
            await stager.commit([], settle, resource=RESOURCE)
            cursor = await full_sync(api, stager, calendar_id, settle,
                                     reason=f"{reason}; page token expired (HTTP 410)")
        mode = "full-resync" if cursor.get("settle") else "full"
    if cursor.get("settle"):
        await settle_after_resync(ctx, api, calendar_id)
        await stager.commit([], {"syncToken": cursor["syncToken"]}, resource=RESOURCE)
    return {"mode": mode, "staged": stager.staged}


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


async def _record(ctx, calendar_id: str, error: Exception | None) -> None:
    key = {"connection_id": ctx.connection_id, "capability": CAPABILITY, "stream": calendar_id,
           "interval": get_settings().sync_interval_seconds}
    async with ctx.db() as conn:
        if error is None:
            await conn.execute(query("sync_state.succeed"), key)
        else:
            await conn.execute(query("sync_state.fail"), {**key, "status": "failing", "error": str(error)[:2000]})


async def sync_calendar_live(ctx) -> dict:
    """Every chosen calendar in turn; one failing calendar is recorded on its row, the others go on."""
    settings = CalendarLiveSettings.model_validate(ctx.connection["settings"].get(CAPABILITY) or {})
    api = CalendarApi(ctx)
    results, failures = {}, {}
    for calendar_id in await chosen_calendars(api, settings):
        try:
            results[calendar_id] = await sync_calendar(ctx, api, calendar_id)
        except Reauth:
            raise
        except (GoogleError, IntegrationsError) as error:
            logger.warning("calendar %s of %s failed: %s", calendar_id, ctx.connection_id, error)
            failures[calendar_id] = error
            await _record(ctx, calendar_id, error)
            continue
        await _record(ctx, calendar_id, None)
    if failures:
        detail = "; ".join(f"{c}: {e}" for c, e in failures.items())
        raise IntegrationsError(f"{len(failures)} of {len(failures) + len(results)} calendars failed: {detail}")
    return {"calendars": results, "staged": sum(r["staged"] for r in results.values())}
