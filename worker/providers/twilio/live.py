"""`sync_sms_live` and `sync_calls_live`: date windows with an overlap, each on its own sync_state row.

Twilio has no change feed, and a message's status and price — a call's end, duration and price —
change after the date the list is ordered and filtered by (`date_sent`, `start_time`). So:

- the first run is a backfill: every object dated on or after now − `backfill_days`, paged through
  `next_page_uri`, which is the checkpoint (a killed worker resumes at the page it had not stored);
- each later run lists every object dated on or after (the newest date seen − `overlap_minutes`):
  what changed within the overlap is listed again, and staging keeps only what changed (the same
  payload twice is one row; a SID is one object however often it is listed);
- an object whose status still changes without a date to be listed by (a queued or scheduled
  message has no `date_sent`; a call in progress ends later) is read again by its SID every run
  until it settles (`Resource.open_statuses`); one Twilio no longer has is a tombstone;
- a message deleted at Twilio simply vanishes from the list: reconcile finds it (reconcile.py).

The window only moves forward once a whole listing is staged: the cursor of the last page carries
the newest date seen, the pages before it only where the listing goes on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from worker.providers.twilio.api import CALLS, MESSAGES, Resource, TwilioApi, parse_date
from worker.providers.twilio.capabilities import (
    SYNC_CALLS_LIVE,
    SYNC_SMS_LIVE,
    CallsLiveSettings,
    SmsLiveSettings,
    WindowSettings,
)
from worker.providers.twilio.client.errors import BadRequest, NotFound
from worker.providers.twilio.objects import read_again
from worker.providers.twilio.reconcile import WindowReconciler
from worker.store import query
from worker.store.staging import RawObject
from worker.sync.cursors import FullSync, LiveCursor
from worker.sync.loops import Page, run_live
from worker.sync.reconcile import reconcile
from worker.sync.stager import PageStager

logger = logging.getLogger(__name__)

UNSETTLED_PER_RUN = 200  # objects read again by SID per run at most (a random sample when more are open)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def newest(*moments: str | None) -> str | None:
    """The latest of ISO moments (None when none is given)."""
    values = [datetime.fromisoformat(m) for m in moments if m]
    return iso(max(values)) if values else None


def later(current: str | None, items: list[dict], field: str) -> str | None:
    """The newest of `current` and the items' dates."""
    return newest(current, *(iso(d) for d in (parse_date(i.get(field)) for i in items) if d is not None))


class WindowFull(FullSync):
    """The backfill; `pageToken` holds its `next_page_uri`."""

    windowStart: str
    maxSeen: str | None = None


class WindowCursor(LiveCursor[WindowFull]):
    """`{since, scopeStart}` between runs; `nextPage` and `maxSeen` while a window is being listed.
    `scopeStart` is where the backfill began: what reconcile compares."""

    since: str | None = None
    scopeStart: str | None = None
    nextPage: str | None = None
    maxSeen: str | None = None

    def is_incremental(self) -> bool:
        return self.since is not None


class WindowStream:
    """One Twilio resource of one account as the live loop drives it."""

    cursor_model = WindowCursor
    expired_reason = "the listing's page token was refused"

    def __init__(self, ctx, resource: Resource, capability: str, settings: WindowSettings) -> None:
        self.ctx, self.resource, self.capability, self.settings = ctx, resource, capability, settings
        self.api: TwilioApi = ctx.api

    async def begin_full(self, reason: str, settle: bool) -> WindowCursor:
        now = datetime.now(timezone.utc)
        start = now - timedelta(days=self.settings.backfill_days)
        return WindowCursor(full=WindowFull(windowStart=iso(start), reason=reason, settle=settle or None,
                                            startedAt=iso(now)))

    async def _listing(self, uri: str | None, since: datetime) -> dict:
        """The page behind `uri`, or the window's first page; a page link Twilio no longer accepts
        lists the window again from its first page (staging drops what is already stored)."""
        if uri:
            try:
                return await self.api.list_page(self.resource, uri=uri)
            except (NotFound, BadRequest) as error:
                logger.warning("%s of %s: page link refused (%s); listing the window again", self.capability,
                               self.ctx.connection_id, error)
        return await self.api.list_page(self.resource, since=since)

    def _objects(self, page: dict) -> tuple[list[dict], list[RawObject]]:
        items = self.api.items(self.resource, page)
        return items, [RawObject(i["sid"], i) for i in items]

    async def full_page(self, cursor: WindowCursor) -> Page[WindowCursor]:
        full = cursor.full
        page = await self._listing(full.pageToken, datetime.fromisoformat(full.windowStart))
        items, objects = self._objects(page)
        seen = later(full.maxSeen, items, self.resource.date_field)
        following = page.get("next_page_uri")
        if following:
            return Page(objects, WindowCursor(full=full.model_copy(update={"pageToken": following, "maxSeen": seen})),
                        more=True)
        return Page(objects, WindowCursor(since=seen or full.windowStart, scopeStart=full.windowStart,
                                          settle=full.settle), more=False)

    async def incremental_page(self, cursor: WindowCursor) -> Page[WindowCursor]:
        start = datetime.fromisoformat(cursor.since) - timedelta(minutes=self.settings.overlap_minutes)
        page = await self._listing(cursor.nextPage, start)
        items, objects = self._objects(page)
        seen = later(cursor.maxSeen, items, self.resource.date_field)
        following = page.get("next_page_uri")
        if following:
            return Page(objects, cursor.model_copy(update={"nextPage": following, "maxSeen": seen}), more=True)
        listed = {o.external_id for o in objects}
        unsettled = [sid for sid in await self._unsettled() if sid not in listed]
        again, failures = await read_again(self.api, self.resource, unsettled)
        return Page(objects + again, WindowCursor(since=newest(cursor.since, seen), scopeStart=cursor.scopeStart),
                    more=False, failures=failures)

    async def _unsettled(self) -> list[str]:
        async with self.ctx.db() as conn:
            rows = await (await conn.execute(query("twilio.unsettled"), {
                "connection_id": self.ctx.connection_id, "resource_type": self.resource.resource_type,
                "statuses": list(self.resource.open_statuses), "limit": UNSETTLED_PER_RUN})).fetchall()
        return [r["external_id"] for r in rows]

    async def settle(self) -> None:
        """After a resync: what vanished meanwhile is found by reconcile with repair (tombstones)."""
        await reconcile(WindowReconciler(self.ctx, self.resource, self.capability), do_repair=True)


async def sync_window(ctx, resource: Resource, capability: str, model: type[WindowSettings]) -> dict:
    settings = model.model_validate(ctx.settings_of(capability))
    stager = PageStager(ctx, capability, resource=resource.resource_type)
    mode, cursor = await run_live(WindowStream(ctx, resource, capability, settings), stager)
    return {"mode": mode, "staged": stager.staged, "since": cursor.since}


async def sync_sms_live(ctx) -> dict:
    return await sync_window(ctx, MESSAGES, SYNC_SMS_LIVE, SmsLiveSettings)


async def sync_calls_live(ctx) -> dict:
    return await sync_window(ctx, CALLS, SYNC_CALLS_LIVE, CallsLiveSettings)
