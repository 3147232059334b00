"""`sync_accounting_live`: per entity (Customer, Invoice, Payment), a query backfill, then CDC.

Each entity is a stream with its own sync_state row (one failing entity never stops the others):

- the backfill lists every entity by `MetaData.LastUpdatedTime`, oldest change first, 1000 a page.
  Its cursor is a position: (`after`, `position`) — the last change time seen and the
  STARTPOSITION among entities changed at or after it — so a killed worker resumes at the page it
  had not stored, and an entity edited during the backfill (it moves to the end) is read again
  rather than skipped;
- then CDC from QBO's clock when the backfill began (`since`), each run asking for changes since
  the previous answer's `time` less `overlap_seconds` (the answer's `time`, never past it: an
  entity's own date may lie in the future). Deletions arrive as `status: "Deleted"`
  and are staged as tombstones; an inactive customer is an ordinary change (`Active: false`).
- CDC serves 30 days back at most and at most 1000 objects an answer, silently cut: a position
  older than that, or an answer that large, falls back to the query — a full listing again, which
  then settles (reconcile with repair: what was deleted while we could not see it becomes a
  tombstone) before CDC takes over.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from worker.providers.quickbooks.api import CDC_CAP, ENTITY, Entity, Listed, QuickBooksApi, moment, qbo_time, updated_at
from worker.providers.quickbooks.capabilities import SYNC_ACCOUNTING_LIVE, AccountingLiveSettings
from worker.providers.quickbooks.client.errors import CdcWindowExpired
from worker.sync.cursors import FullSync, LiveCursor
from worker.sync.loops import Page, run_live
from worker.sync.outcome import run_streams
from worker.sync.reconcile import reconcile
from worker.sync.stager import PageStager

CDC_DAYS = 30
CDC_MARGIN = timedelta(hours=1)  # give up on CDC this long before QBO would refuse it
EXPIRED = "the CDC position is older than QuickBooks serves (30 days)"
CUT = f"a CDC answer held {CDC_CAP} objects and may have been cut"


class AccountingFull(FullSync):
    """The backfill in flight: `after`/`position` say where; `serverStart` is QBO's clock when it
    began (where CDC takes over)."""

    after: str | None = None
    position: int = 1
    serverStart: str | None = None


class AccountingCursor(LiveCursor[AccountingFull]):
    """`since`: QBO's time of the last CDC answer (or of the backfill's start)."""

    since: str | None = None

    def is_incremental(self) -> bool:
        return self.since is not None


def next_position(answer_time: datetime | None, since: datetime) -> datetime:
    """Where the next CDC asks from: QBO's clock at this answer (`time`), which every change it holds
    precedes. Never an entity's own `LastUpdatedTime`: one entity dated 2099 would move the position
    to 2099 and every later change would be missed. An answer without `time` keeps the position (the
    next answer reads the same window again; a change read twice is stored once)."""
    return answer_time if answer_time is not None else since


class EntityStream:
    """One entity of one company as the live loop drives it."""

    cursor_model = AccountingCursor

    def __init__(self, ctx, entity: Entity, settings: AccountingLiveSettings) -> None:
        self.ctx, self.entity, self.settings = ctx, entity, settings
        self.api: QuickBooksApi = ctx.api
        self.expired_reason = EXPIRED
        self.overlap = timedelta(seconds=settings.overlap_seconds)

    async def begin_full(self, reason: str, settle: bool) -> AccountingCursor:
        return AccountingCursor(full=AccountingFull(reason=reason, settle=settle or None,
                                                    startedAt=datetime.now(timezone.utc).isoformat()))

    async def full_page(self, cursor: AccountingCursor) -> Page[AccountingCursor]:
        full = cursor.full
        page = await self.api.changed(self.entity, full.after, full.position)
        start = full.serverStart
        if start is None:  # QBO's clock at the first answer: what changes after it, CDC reads
            start = qbo_time((page.time or datetime.now(timezone.utc)) - self.overlap)
        if page.count < self.api.page_size:
            return Page(page.objects, AccountingCursor(since=start, settle=full.settle), more=False,
                        failures=page.failures)
        last = updated_at(page.last) if page.last else None
        if last is None or (full.after is not None and last <= moment(full.after)):
            following = {"position": full.position + page.count}  # a page of one instant: go on by position
        else:
            following = {"after": qbo_time(last), "position": 1}  # read again from the newest change seen
        following["serverStart"] = start
        return Page(page.objects, AccountingCursor(full=full.model_copy(update=following)), more=True,
                    failures=page.failures)

    async def incremental_page(self, cursor: AccountingCursor) -> Page[AccountingCursor]:
        since = moment(cursor.since)
        if since is None or since < datetime.now(timezone.utc) - timedelta(days=CDC_DAYS) + CDC_MARGIN:
            self.expired_reason = EXPIRED
            raise CdcWindowExpired("cdc_window", EXPIRED)
        try:
            page: Listed = await self.api.changes(self.entity, since - self.overlap)
        except CdcWindowExpired:
            self.expired_reason = EXPIRED
            raise
        if page.count >= CDC_CAP:
            self.expired_reason = CUT
            raise CdcWindowExpired("cdc_cut", CUT)
        return Page(page.objects, AccountingCursor(since=qbo_time(next_position(page.time, since))), more=False,
                    failures=page.failures)

    async def settle(self) -> None:
        """After a fallback to the query: what was deleted while CDC could not tell becomes a tombstone."""
        from worker.providers.quickbooks.reconcile import AccountingReconciler

        await reconcile(AccountingReconciler(self.ctx, entities=[self.entity.name]), do_repair=True)


async def sync_entity(ctx, entity: Entity, settings: AccountingLiveSettings) -> dict:
    stager = PageStager(ctx, SYNC_ACCOUNTING_LIVE, stream=entity.stream, resource=entity.resource_type)
    mode, cursor = await run_live(EntityStream(ctx, entity, settings), stager)
    return {"mode": mode, "staged": stager.staged, "since": cursor.since}


async def sync_accounting_live(ctx) -> dict:
    settings = AccountingLiveSettings.model_validate(ctx.settings_of(SYNC_ACCOUNTING_LIVE))
    entities = [ENTITY[name] for name in settings.entities]

    async def run(stream: str) -> dict:
        return await sync_entity(ctx, next(e for e in entities if e.stream == stream), settings)

    # side by side: the company's pacer and concurrency slots are shared, so together they use its
    # request budget while each waits on its own pages and staging
    results = await run_streams(ctx, SYNC_ACCOUNTING_LIVE, [e.stream for e in entities], run, concurrently=True)
    return {"entities": results, "staged": sum(r["staged"] for r in results.values())}
