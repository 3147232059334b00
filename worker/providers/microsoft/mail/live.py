"""`sync_inbox_live`: per mail folder, Graph's delta — a full enumeration once, then changes.

One sync_state row per folder (stream = the folder as configured, e.g. `inbox`), each driven by
the sync core's live loop (worker/sync/loops.py). The full enumeration's checkpoint is its
`@odata.nextLink`, so a killed worker resumes at the page it had not stored; its last page gives
the `@odata.deltaLink`, the incremental position. An expired delta token (410 SyncStateNotFound)
resyncs that folder in full and settles it: what vanished meanwhile is found by reconcile.
"""

from __future__ import annotations

from datetime import datetime, timezone

from worker.providers.microsoft.capabilities import InboxLiveSettings
from worker.providers.microsoft.client.errors import MalformedResponse
from worker.providers.microsoft.mail.api import MESSAGE, MailApi
from worker.providers.microsoft.mail.messages import Fetched, FolderBook, fetch_messages, page_ids
from worker.providers.microsoft.mail.reconcile import MailReconciler
from worker.sync.cursors import FullSync, LiveCursor
from worker.sync.loops import Page, run_live
from worker.sync.outcome import run_streams
from worker.sync.reconcile import reconcile
from worker.sync.stager import PageStager

CAPABILITY = "sync_inbox_live"
EXPIRED_REASON = "delta token expired (HTTP 410 SyncStateNotFound)"


class FolderFullSync(FullSync):
    """The first delta round of a folder; `pageToken` holds its `@odata.nextLink`."""

    folderId: str


class FolderCursor(LiveCursor[FolderFullSync]):
    """`{deltaLink}` incremental; `{deltaLink, nextLink}` mid-way through a round of changes."""

    deltaLink: str | None = None
    nextLink: str | None = None

    def is_incremental(self) -> bool:
        return self.deltaLink is not None


class FolderStream:
    """One mail folder as the live loop drives it."""

    cursor_model = FolderCursor
    expired_reason = EXPIRED_REASON

    def __init__(self, ctx, api: MailApi, folder: str) -> None:
        self.ctx, self.api, self.folder = ctx, api, folder
        self.book = FolderBook(api)

    async def begin_full(self, reason: str, settle: bool) -> FolderCursor:
        folder = await self.api.folder(self.folder)  # a well-known name resolves to the folder's id
        self.book.add(folder)
        return FolderCursor(full=FolderFullSync(folderId=folder["id"], reason=reason, settle=settle or None,
                                                startedAt=datetime.now(timezone.utc).isoformat()))

    async def _fetch(self, page: dict) -> Fetched:
        ids, removed = page_ids(page)
        return await fetch_messages(self.api, self.book, ids, removed)

    def _links(self, page: dict) -> tuple[str | None, str | None]:
        following, delta = page.get("@odata.nextLink"), page.get("@odata.deltaLink")
        if not following and not delta:
            raise MalformedResponse(200, "noDeltaLink", f"a delta page of {self.folder} has neither a nextLink nor a"
                                    " deltaLink")
        return following, delta

    async def full_page(self, cursor: FolderCursor) -> Page[FolderCursor]:
        full = cursor.full
        page = await self.api.delta(full.folderId, link=full.pageToken)
        fetched = await self._fetch(page)
        following, delta = self._links(page)
        if following:
            nxt = FolderCursor(full=full.model_copy(update={"pageToken": following}))
            return Page(fetched.objects, nxt, more=True, failures=fetched.failures, before=fetched.before)
        return Page(fetched.objects, FolderCursor(deltaLink=delta, settle=full.settle), more=False,
                    failures=fetched.failures, before=fetched.before)

    async def incremental_page(self, cursor: FolderCursor) -> Page[FolderCursor]:
        page = await self.api.delta(link=cursor.nextLink or cursor.deltaLink)
        fetched = await self._fetch(page)
        following, delta = self._links(page)
        nxt = (FolderCursor(deltaLink=cursor.deltaLink, nextLink=following) if following
               else FolderCursor(deltaLink=delta))
        return Page(fetched.objects, nxt, more=bool(following), failures=fetched.failures, before=fetched.before)

    async def settle(self) -> None:
        """Messages deleted while the delta token was dead are absent from the new enumeration:
        reconcile this folder with repair, which tombstones them (and restages moved ones)."""
        await reconcile(MailReconciler(self.ctx, folders=[self.folder]), do_repair=True)


async def sync_folder(ctx, api: MailApi, folder: str) -> dict:
    stager = PageStager(ctx, CAPABILITY, stream=folder, resource=MESSAGE)
    mode, _ = await run_live(FolderStream(ctx, api, folder), stager)
    return {"mode": mode, "staged": stager.staged}


async def sync_inbox_live(ctx) -> dict:
    """Every configured folder in turn, each on its own row; one failing folder does not stop the others."""
    settings = InboxLiveSettings.model_validate(ctx.settings_of(CAPABILITY))
    api = MailApi(ctx.client, ctx.ms.page_size)
    results = await run_streams(ctx, CAPABILITY, settings.folders, lambda folder: sync_folder(ctx, api, folder))
    return {"folders": results, "staged": sum(r["staged"] for r in results.values())}
