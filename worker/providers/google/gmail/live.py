"""`sync_inbox_live`: full sync once, then history; every page staged with its cursor in one commit.

Cursor (sync_state.cursor):
  {"historyId": H}                                   incremental from H
  {"historyId": H, "historyPageToken": T}            an incremental run interrupted mid-way
  {"full": {"startHistoryId": H, "labels": [...], "label": i, "pageToken": T}}   a full sync in flight
A killed worker resumes from exactly what was committed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from dataclasses import dataclass, field

from psycopg.types.json import Jsonb

from worker.providers.google.capabilities import InboxLiveSettings
from worker.providers.google.errors import CursorExpired, GoogleError, NotFound, Reauth, Transient
from worker.providers.google.gmail.api import GmailApi
from worker.store import query
from worker.store.staging import RawObject, StageCount, StaleWriter, astage_records, snapshot

logger = logging.getLogger(__name__)

CAPABILITY = "sync_inbox_live"
RESOURCE = "gmail.message"
BODY_RESOURCE = "gmail.body"  # a text part too large for format=full: attachments.get, keyed message/attachment
LABELS_RESOURCE = "gmail.labels"  # a label-only change of a staged message: its format=minimal answer
HIDDEN_LABELS = {"SPAM", "TRASH"}


class PageStager:
    """Stages one page and moves the cursor in the same transaction.

    Two fences against a stale writer (invariant 4): the snapshot taken before each fetch
    (`begin_fetch`, done by `load_cursor` and after every commit) keeps a live version fetched
    before a tombstone was committed from replacing it; and a cursor loaded by `load_cursor` is
    only ever moved from the value this writer loaded or saved — if another writer moved it
    meanwhile, the page is rolled back and `StaleWriter` raised."""

    def __init__(self, ctx, capability: str, stream: str = "") -> None:
        self.ctx = ctx
        self.capability = capability
        self.stream = stream
        self.staged = 0
        self.fetched_since: str | None = None  # snapshot before the objects of the next commit were fetched
        self._cursor: dict | None = None  # the stream's cursor as this writer last read or wrote it

    def _key(self) -> dict:
        return {"connection_id": self.ctx.connection_id, "capability": self.capability, "stream": self.stream}

    async def load_cursor(self) -> dict:
        async with self.ctx.db() as conn:
            await conn.execute(query("sync_state.lock"), self._key())
            row = await (await conn.execute(query("sync_state.get"), self._key())).fetchone()
            self.fetched_since = await snapshot(conn)
        self._cursor = dict(row["cursor"] or {})
        return dict(self._cursor)

    async def begin_fetch(self) -> None:
        """Call before fetching what the next commit stages (load_cursor and commit do it too)."""
        async with self.ctx.db() as conn:
            self.fetched_since = await snapshot(conn)

    async def commit(self, objects: list[RawObject], cursor: dict | None, resource: str = RESOURCE,
                     failures: list[tuple[str, str]] = (), bodies: list[RawObject] = (),
                     labels: list[RawObject] = ()) -> int:
        """Stage `objects` (with the external `bodies` of messages and the `labels` records of
        label-only changes), record the page's per-item `failures` (id, error), move the cursor:
        one commit."""
        ids = self.ctx.connection_id, self.ctx.tenant_id, self.capability
        async with self.ctx.db() as conn:
            async with conn.transaction():
                if bodies:
                    await astage_records(conn, *ids, BODY_RESOURCE, bodies, fetched_since=self.fetched_since)
                count = await astage_records(conn, *ids, resource, objects, fetched_since=self.fetched_since)
                if labels:  # after the messages: their tombstones and versions fence these records
                    count = StageCount(count + await astage_records(conn, *ids, LABELS_RESOURCE, labels,
                                                                    fetched_since=self.fetched_since),
                                       count.unstorable)
                item = {"connection_id": self.ctx.connection_id, "resource_type": resource}
                staged_ids = [o.external_id for o in objects if o.external_id not in count.unstorable]
                if staged_ids:
                    await conn.execute(query("item_failures.resolve"),
                                       {**item, "external_ids": staged_ids, "resolution": "staged"})
                for external_id, error in failures:
                    await conn.execute(query("item_failures.record"), {**item, "capability": self.capability,
                                                                       "external_id": external_id,
                                                                       "error": error[:2000]})
                if cursor is not None:
                    await self._save_cursor(conn, cursor)
            self.fetched_since = await snapshot(conn)
        self.staged += count
        if count:
            await _request_normalize()
        return count

    async def _save_cursor(self, conn, cursor: dict) -> None:
        expected = None if self._cursor is None else Jsonb(self._cursor)
        saved = await conn.execute(query("sync_state.save_cursor"),
                                   {**self._key(), "cursor": Jsonb(cursor), "expected": expected})
        if saved.rowcount != 1:
            raise StaleWriter(f"{self.capability}{'/' + self.stream if self.stream else ''} of "
                              f"{self.ctx.connection_id}: another run moved the cursor since this one read it;"
                              " this run's page is dropped (the newer run has it)")
        if self._cursor is not None:
            self._cursor = dict(cursor)

    async def record_full_sync(self, reason: str) -> None:
        async with self.ctx.db() as conn:
            await conn.execute(query("sync_state.mark_full_sync"), {**self._key(), "reason": reason})


async def _request_normalize() -> None:
    try:
        from worker.tasks.normalize import request_normalize
    except ImportError:
        return
    await request_normalize()


def wanted(message: dict, settings: InboxLiveSettings) -> bool:
    labels = set(message.get("labelIds") or [])
    if not settings.include_spam_trash and labels & HIDDEN_LABELS:
        return False
    return bool(labels & set(settings.labels))


@dataclass
class Fetched:
    objects: list[RawObject] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (message id, error) to retry later
    bodies: list[RawObject] = field(default_factory=list)  # text parts Gmail left out of format=full


def external_body_refs(message: dict) -> list[tuple[str, str]]:
    """(message id, attachment id) of the text parts that can be the body but whose content Gmail
    did not inline: large parts, and parts with a filename that are not `Content-Disposition:
    attachment` (an inline text part with a filename is the body to every mail client and to
    Python's get_body(), yet Gmail gives it an attachmentId). Without them the body would be lost."""
    refs, stack = [], [message.get("payload") or {}]
    while stack:
        part = stack.pop()
        if not isinstance(part, dict):
            continue
        stack.extend(part.get("parts") or [])
        body = part.get("body") or {}
        disposition = next((str(h.get("value", "")) for h in part.get("headers") or []
                            if isinstance(h, dict) and str(h.get("name", "")).lower() == "content-disposition"), "")
        if (str(part.get("mimeType", "")).lower().startswith("text/")
                and disposition.split(";")[0].strip().lower() != "attachment"
                and body.get("attachmentId") and not body.get("data")):
            refs.append((message["id"], body["attachmentId"]))
    return refs


async def fetch_bodies(api: GmailApi, objects: list[RawObject]) -> list[RawObject]:
    refs = [ref for obj in objects if not obj.is_deleted for ref in external_body_refs(obj.payload)]
    if not refs:
        return []
    bodies = []
    for (message_id, attachment_id), result in (await api.get_attachments(refs)).items():
        if isinstance(result, NotFound):
            continue  # the message went away meanwhile; its deletion comes through history
        if isinstance(result, GoogleError):
            raise result
        bodies.append(RawObject(f"{message_id}/{attachment_id}", result))
    return bodies


async def fetch_objects(api: GmailApi, ids: list[str], *, gone_is_tombstone: bool) -> Fetched:
    """Fetch full messages. A message deleted meanwhile becomes a tombstone when we follow history;
    otherwise it, like any message that fails on its own, is an item failure — the rest of the page
    is staged, and the failure is retried by later runs."""
    fetched = Fetched()
    for message_id, result in (await api.get_messages(ids)).items():
        if isinstance(result, NotFound) and gone_is_tombstone:
            fetched.objects.append(RawObject(message_id, {"id": message_id}, is_deleted=True))
        elif isinstance(result, (Transient, Reauth)):
            raise result  # retries were exhausted: the whole run fails and the cursor stays
        elif isinstance(result, GoogleError):
            fetched.failures.append((message_id, str(result)))
        else:
            fetched.objects.append(RawObject(message_id, result))
    fetched.bodies = await fetch_bodies(api, fetched.objects)
    return fetched


def newer_than_query(settings: InboxLiveSettings) -> str | None:
    return f"newer_than:{settings.newer_than_days}d" if settings.newer_than_days else None


async def full_sync(ctx, stager: PageStager, settings: InboxLiveSettings, cursor: dict, reason: str,
                    settle: bool = False) -> dict:
    """`settle`: a resync after lost history; the flag stays in the cursor until the settle step
    has run, so a worker dying in between cannot skip it."""
    api = GmailApi(ctx)
    full = cursor.get("full")
    if not full:
        profile = await api.profile()  # the history id recorded before listing: nothing added later is missed
        full = {"startHistoryId": str(profile["historyId"]), "labels": list(settings.labels), "label": 0,
                "pageToken": None, "startedAt": datetime.now(timezone.utc).isoformat(), "reason": reason,
                **({"settle": True} if settle else {})}
        await stager.record_full_sync(reason)
        await stager.commit([], {"full": full})
    while full["label"] < len(full["labels"]):
        page = await api.list_messages(label=full["labels"][full["label"]], q=newer_than_query(settings),
                                       page_token=full["pageToken"], include_spam_trash=settings.include_spam_trash)
        ids = [m["id"] for m in page.get("messages", [])]
        fetched = await fetch_objects(api, ids, gone_is_tombstone=False)
        next_token = page.get("nextPageToken")
        full = {**full, "pageToken": next_token} if next_token else {**full, "label": full["label"] + 1,
                                                                        "pageToken": None}
        await stager.commit(fetched.objects, {"full": full}, failures=fetched.failures, bodies=fetched.bodies)
    done = {"historyId": full["startHistoryId"], **({"settle": True} if full.get("settle") else {})}
    await stager.commit([], done)
    return done


async def incremental_sync(ctx, stager: PageStager, settings: InboxLiveSettings, cursor: dict) -> dict:
    api = GmailApi(ctx)
    start = cursor["historyId"]
    page_token = cursor.get("historyPageToken")
    while True:
        page = await api.history(start, page_token)
        added, changed, deleted = set(), set(), set()
        for record in page.get("history", []):
            for item in record.get("messagesAdded", []):
                added.add(item["message"]["id"])
            for key in ("labelsAdded", "labelsRemoved"):
                for item in record.get(key, []):
                    changed.add(item["message"]["id"])
            for item in record.get("messagesDeleted", []):
                deleted.add(item["message"]["id"])
        label_only = (changed - added - deleted) if settings.label_records else set()
        minimal = await fetch_label_records(ctx, api, sorted(label_only))
        fetch_ids = sorted((added | changed) - deleted - minimal.handled)
        fetched = await fetch_objects(api, fetch_ids, gone_is_tombstone=True)
        staged_ids = await _already_staged(ctx, [o.external_id for o in fetched.objects])
        objects = [o for o in fetched.objects
                   if o.is_deleted or wanted(o.payload, settings) or o.external_id in staged_ids]
        objects += minimal.tombstones
        objects += [RawObject(i, {"id": i}, is_deleted=True) for i in sorted(deleted)]
        page_token = page.get("nextPageToken")
        cursor = ({"historyId": start, "historyPageToken": page_token} if page_token
                  else {"historyId": str(page["historyId"])})
        await stager.commit(objects, cursor, failures=fetched.failures + minimal.failures, bodies=fetched.bodies,
                            labels=minimal.labels)
        if not page_token:
            return cursor


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
        staged = {r["external_id"]: r for r in await (await conn.execute(query("gmail_live.staged_messages"), {
            "connection_id": ctx.connection_id, "external_ids": ids})).fetchall()}
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


async def _already_staged(ctx, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    async with ctx.db() as conn:
        rows = await (await conn.execute(
            "select external_id from integrations.raw_heads where connection_id = %s and resource_type = %s"
            " and external_id = any(%s)", (ctx.connection_id, RESOURCE, ids))).fetchall()
    return {r["external_id"] for r in rows}


async def retry_item_failures(ctx, stager: PageStager, limit: int = 500) -> int:
    """Fetch the due failed items again: staged when they answer; a message still gone after a
    retry is resolved as gone (a tombstone when we had staged it); other errors wait longer."""
    async with ctx.db() as conn:
        due = await (await conn.execute(query("item_failures.due"), {
            "connection_id": ctx.connection_id, "capability": stager.capability, "limit": limit})).fetchall()
    if not due:
        return 0
    api = GmailApi(ctx)
    outcome = await api.get_messages([d["external_id"] for d in due])
    staged_ids = await _already_staged(ctx, [d["external_id"] for d in due])
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
    await stager.commit(objects, None, failures=failures, bodies=await fetch_bodies(api, objects))
    if gone:
        async with ctx.db() as conn:
            await conn.execute(query("item_failures.resolve"), {
                "connection_id": ctx.connection_id, "resource_type": RESOURCE, "external_ids": gone,
                "resolution": "gone"})
    return len(due)


async def settle_after_resync(ctx) -> None:
    """A full resync stages what exists, but cannot see what vanished while history was lost:
    reconcile with repair tombstones those (and restages relabelled ones)."""
    from worker.reconcile.gmail import reconcile_gmail

    result = await reconcile_gmail(ctx, do_repair=True)
    logger.info("after resync of %s: %d vanished or missing objects repaired", ctx.connection_id, result.repaired)


async def sync_inbox_live(ctx) -> dict:
    """One run: resume or start a full sync, or follow history (a 404 history means full resync);
    then retry the items that failed on their own in earlier runs."""
    settings = InboxLiveSettings.model_validate(ctx.connection["settings"].get(CAPABILITY) or {})
    stager = PageStager(ctx, CAPABILITY)
    cursor = await stager.load_cursor()
    if cursor.get("settle") and "full" not in cursor:
        mode = "full-resync"  # the resync listed everything, then its worker died before settling
    elif "historyId" in cursor and "full" not in cursor:
        try:
            cursor = await incremental_sync(ctx, stager, settings, cursor)
            mode = "incremental"
        except NotFound:
            logger.warning("history of %s expired; full resync", ctx.connection_id)
            cursor = await full_sync(ctx, stager, settings, {}, reason="history expired (HTTP 404 on history.list)",
                                     settle=True)
            mode = "full-resync"
    else:
        reason = "resumed" if "full" in cursor else "first sync"
        cursor = await full_sync(ctx, stager, settings, cursor, reason=reason)
        mode = "full-resync" if cursor.get("settle") else "full"
    if cursor.get("settle"):
        await settle_after_resync(ctx)
        cursor = {"historyId": cursor["historyId"]}
        await stager.commit([], cursor)
    retried = await retry_item_failures(ctx, stager)
    return {"mode": mode, "staged": stager.staged, "retried_items": retried, "cursor": cursor}


__all__ = ["sync_inbox_live", "PageStager", "fetch_objects", "CursorExpired"]
