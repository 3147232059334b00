"""`sync_inbox_live`: full sync once, then history; every page staged with its cursor in one commit.

The order of operations (resume, resync, settle) is the sync core's live loop
(worker/sync/loops.py); this module says how Gmail lists, follows history and fetches messages.
A killed worker resumes from exactly what was committed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

from worker.providers.google.capabilities import InboxLiveSettings
from worker.providers.google.client.errors import (
    CursorExpired,
    GoogleError,
    NotFound,
    Reauth,
    Transient,
    Unauthorized,
)
from worker.providers.google.gmail.api import GmailApi
from worker.providers.google.gmail.messages import (
    BODY_RESOURCE,
    LABELS_RESOURCE,
    RESOURCE,
    fetch_bodies,
    fetch_objects,
    newer_than_query,
    wanted,
)
from worker.providers.google.gmail.reconcile import InboxReconciler
from worker.store.reads import staged_heads, staged_messages
from worker.store.staging import RawObject
from worker.store.sync_state import due_item_failures, resolve_item_failures
from worker.sync.cursors import FullSync, LiveCursor
from worker.sync.loops import Page, run_live
from worker.sync.reconcile import reconcile
from worker.sync.stager import PageStager

logger = logging.getLogger(__name__)

CAPABILITY = "sync_inbox_live"


class GmailFullSync(FullSync):
    """A full listing: label by label, from the history id recorded before it started."""

    startHistoryId: str
    labels: list[str]
    label: int = 0


class InboxCursor(LiveCursor[GmailFullSync]):
    """`{historyId}` incremental; `{historyId, historyPageToken}` mid-way; `{full}` listing."""

    historyId: str | None = None
    historyPageToken: str | None = None

    def is_incremental(self) -> bool:
        return self.historyId is not None


class InboxStream:
    """A mailbox as the live loop drives it: labels listed in full, then history pages."""

    cursor_model = InboxCursor
    expired_reason = "history expired (HTTP 404 on history.list)"

    def __init__(self, ctx, settings: InboxLiveSettings) -> None:
        self.ctx = ctx
        self.settings = settings
        self.api = GmailApi(ctx)

    async def begin_full(self, reason: str, settle: bool) -> InboxCursor:
        profile = await self.api.profile()  # the history id recorded before listing: nothing added later is missed
        return InboxCursor(full=GmailFullSync(
            startHistoryId=str(profile["historyId"]), labels=list(self.settings.labels), label=0,
            startedAt=datetime.now(timezone.utc).isoformat(), reason=reason, settle=settle or None))

    async def full_page(self, cursor: InboxCursor) -> Page[InboxCursor]:
        full = cursor.full
        page = await self.api.list_messages(label=full.labels[full.label], q=newer_than_query(self.settings),
                                            page_token=full.pageToken,
                                            include_spam_trash=self.settings.include_spam_trash)
        fetched = await fetch_objects(self.api, [m["id"] for m in page.get("messages", [])], gone_is_tombstone=False)
        next_token = page.get("nextPageToken")
        full = (full.model_copy(update={"pageToken": next_token}) if next_token
                else full.model_copy(update={"label": full.label + 1, "pageToken": None}))
        if full.label < len(full.labels):
            return Page(fetched.objects, InboxCursor(full=full), more=True, failures=fetched.failures,
                        before=[(BODY_RESOURCE, fetched.bodies)])
        done = InboxCursor(historyId=full.startHistoryId, settle=full.settle)
        return Page(fetched.objects, done, more=False, failures=fetched.failures,
                    before=[(BODY_RESOURCE, fetched.bodies)])

    async def incremental_page(self, cursor: InboxCursor) -> Page[InboxCursor]:
        try:
            page = await self.api.history(cursor.historyId, cursor.historyPageToken)
        except NotFound as error:  # Gmail's way of saying the history id is too old
            raise CursorExpired(error.status, error.reason, error.message) from error
        added, changed, deleted = set(), set(), set()
        for record in page.get("history", []):
            for item in record.get("messagesAdded", []):
                added.add(item["message"]["id"])
            for key in ("labelsAdded", "labelsRemoved"):
                for item in record.get(key, []):
                    changed.add(item["message"]["id"])
            for item in record.get("messagesDeleted", []):
                deleted.add(item["message"]["id"])
        label_only = (changed - added - deleted) if self.settings.label_records else set()
        minimal = await fetch_label_records(self.ctx, self.api, sorted(label_only))
        fetch_ids = sorted((added | changed) - deleted - minimal.handled)
        fetched = await fetch_objects(self.api, fetch_ids, gone_is_tombstone=True)
        async with self.ctx.db() as conn:
            staged_ids = await staged_heads(conn, self.ctx.connection_id, RESOURCE,
                                            [o.external_id for o in fetched.objects])
        objects = [o for o in fetched.objects
                   if o.is_deleted or wanted(o.payload, self.settings) or o.external_id in staged_ids]
        objects += minimal.tombstones
        objects += [RawObject(i, {"id": i}, is_deleted=True) for i in sorted(deleted)]
        page_token = page.get("nextPageToken")
        following = (InboxCursor(historyId=cursor.historyId, historyPageToken=page_token) if page_token
                     else InboxCursor(historyId=str(page["historyId"])))
        return Page(objects, following, more=bool(page_token), failures=fetched.failures + minimal.failures,
                    before=[(BODY_RESOURCE, fetched.bodies)], after=[(LABELS_RESOURCE, minimal.labels)])

    async def settle(self) -> None:
        """A full resync stages what exists, but cannot see what vanished while history was lost:
        reconcile with repair tombstones those (and restages relabelled ones)."""
        result = await reconcile(InboxReconciler(self.ctx), do_repair=True)
        logger.info("after resync of %s: %d vanished or missing objects repaired", self.ctx.connection_id,
                    result.repaired)


@dataclass
class LabelRecords:
    """What the format=minimal pass settled: small label records, tombstones, item failures; the
    other ids (not staged yet, or something besides labels changed) are fetched in full."""
    labels: list[RawObject] = field(default_factory=list)
    tombstones: list[RawObject] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def handled(self) -> set[str]:
        return {o.external_id for o in self.labels + self.tombstones} | {i for i, _ in self.failures}


# what a format=minimal answer shares with the staged full version: any difference means more
# than labels changed, and the message is fetched in full again
_COMPARED = (("threadId", "thread_id"), ("internalDate", "internal_date"), ("sizeEstimate", "size_estimate"))


async def fetch_label_records(ctx, api: GmailApi, ids: list[str]) -> LabelRecords:
    """Label-only changes of staged messages: a format=minimal answer (a few hundred bytes) is
    staged as a `gmail.labels` record instead of another full copy of the message. The staging
    model takes labels from the newest of the message and its label records (by historyId)."""
    out = LabelRecords()
    if not ids:
        return out
    async with ctx.db() as conn:
        staged = await staged_messages(conn, ctx.connection_id, ids)
    if not staged:
        return out
    for message_id, result in (await api.get_messages(sorted(staged), fmt="minimal")).items():
        if isinstance(result, NotFound):
            out.tombstones.append(RawObject(message_id, {"id": message_id}, is_deleted=True))
        elif isinstance(result, (Transient, Reauth)):
            raise result
        elif isinstance(result, GoogleError):
            out.failures.append((message_id, str(result)))
        elif all(str(result.get(api_name)) == str(staged[message_id][column]) for api_name, column in _COMPARED):
            out.labels.append(RawObject(message_id, result))
    return out


async def retry_item_failures(ctx, stager: PageStager, limit: int = 500) -> int:
    """Fetch the due failed items again: staged when they answer; a message still gone after a
    retry is resolved as gone (a tombstone when we had staged it); other errors wait longer."""
    async with ctx.db() as conn:
        due = await due_item_failures(conn, ctx.connection_id, stager.capability, limit)
    if not due:
        return 0
    api = GmailApi(ctx)
    try:
        outcome = await api.get_messages([d["external_id"] for d in due])
    except Unauthorized as error:
        # every due item answered 401 through the refreshes, though the live pass just worked with
        # this grant: the items' own failures again (a lone item a refresh never cures lands here)
        outcome = {d["external_id"]: error for d in due}
    async with ctx.db() as conn:
        staged_ids = await staged_heads(conn, ctx.connection_id, RESOURCE, [d["external_id"] for d in due])
    objects, failures, gone = [], [], []
    for item in due:
        result = outcome[item["external_id"]]
        if isinstance(result, (Transient, Reauth)):
            raise result
        if isinstance(result, NotFound) and item["attempts"] >= 2:
            gone.append(item["external_id"])
            if item["external_id"] in staged_ids:
                objects.append(RawObject(item["external_id"], {"id": item["external_id"]}, is_deleted=True))
        elif isinstance(result, GoogleError):
            failures.append((item["external_id"], str(result)))
        else:
            objects.append(RawObject(item["external_id"], result))
    await stager.stage_page(objects, None, failures=failures,
                            before=[(BODY_RESOURCE, await fetch_bodies(api, objects))])
    if gone:
        async with ctx.db() as conn:
            await resolve_item_failures(conn, {"connection_id": ctx.connection_id, "resource_type": RESOURCE},
                                        gone, "gone")
    return len(due)


async def sync_inbox_live(ctx) -> dict:
    """One run of the live loop, then a retry of the items that failed on their own earlier."""
    settings = InboxLiveSettings.model_validate(ctx.settings_of(CAPABILITY))
    stager = PageStager(ctx, CAPABILITY, resource=RESOURCE)
    mode, cursor = await run_live(InboxStream(ctx, settings), stager)
    retried = await retry_item_failures(ctx, stager)
    return {"mode": mode, "staged": stager.staged, "retried_items": retried, "cursor": cursor.dump()}
