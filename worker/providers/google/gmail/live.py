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

from psycopg.types.json import Jsonb

from worker.providers.google.capabilities import InboxLiveSettings
from worker.providers.google.errors import CursorExpired, GoogleError, NotFound
from worker.providers.google.gmail.api import GmailApi
from worker.store import query
from worker.store.staging import RawObject, astage_records

logger = logging.getLogger(__name__)

CAPABILITY = "sync_inbox_live"
RESOURCE = "gmail.message"
HIDDEN_LABELS = {"SPAM", "TRASH"}


class PageStager:
    """Stages one page and moves the cursor in the same transaction."""

    def __init__(self, ctx, capability: str, stream: str = "") -> None:
        self.ctx = ctx
        self.capability = capability
        self.stream = stream
        self.staged = 0

    def _key(self) -> dict:
        return {"connection_id": self.ctx.connection_id, "capability": self.capability, "stream": self.stream}

    async def load_cursor(self) -> dict:
        async with self.ctx.db() as conn:
            await conn.execute(query("sync_state.lock"), self._key())
            row = await (await conn.execute(query("sync_state.get"), self._key())).fetchone()
        return dict(row["cursor"] or {})

    async def commit(self, objects: list[RawObject], cursor: dict | None, resource: str = RESOURCE) -> int:
        async with self.ctx.db() as conn, conn.transaction():
            count = await astage_records(conn, self.ctx.connection_id, self.ctx.tenant_id, self.capability,
                                         resource, objects)
            if cursor is not None:
                await conn.execute(query("sync_state.save_cursor"), {**self._key(), "cursor": Jsonb(cursor)})
        self.staged += count
        if count:
            await _request_normalize()
        return count

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


async def fetch_objects(api: GmailApi, ids: list[str], *, gone_is_tombstone: bool) -> list[RawObject]:
    """Fetch full messages; a message deleted meanwhile becomes a tombstone (or is skipped)."""
    objects = []
    for message_id, result in (await api.get_messages(ids)).items():
        if isinstance(result, NotFound):
            if gone_is_tombstone:
                objects.append(RawObject(message_id, {"id": message_id}, is_deleted=True))
            continue
        if isinstance(result, GoogleError):
            raise result
        objects.append(RawObject(message_id, result))
    return objects


def newer_than_query(settings: InboxLiveSettings) -> str | None:
    return f"newer_than:{settings.newer_than_days}d" if settings.newer_than_days else None


async def full_sync(ctx, stager: PageStager, settings: InboxLiveSettings, cursor: dict, reason: str) -> dict:
    api = GmailApi(ctx)
    full = cursor.get("full")
    if not full:
        profile = await api.profile()  # the history id recorded before listing: nothing added later is missed
        full = {"startHistoryId": str(profile["historyId"]), "labels": list(settings.labels), "label": 0,
                "pageToken": None, "startedAt": datetime.now(timezone.utc).isoformat(), "reason": reason}
        await stager.record_full_sync(reason)
        await stager.commit([], {"full": full})
    while full["label"] < len(full["labels"]):
        page = await api.list_messages(label=full["labels"][full["label"]], q=newer_than_query(settings),
                                       page_token=full["pageToken"], include_spam_trash=settings.include_spam_trash)
        ids = [m["id"] for m in page.get("messages", [])]
        objects = await fetch_objects(api, ids, gone_is_tombstone=False)
        next_token = page.get("nextPageToken")
        full = {**full, "pageToken": next_token} if next_token else {**full, "label": full["label"] + 1,
                                                                        "pageToken": None}
        await stager.commit(objects, {"full": full})
    done = {"historyId": full["startHistoryId"]}
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
        fetch_ids = sorted((added | changed) - deleted)
        fetched = await fetch_objects(api, fetch_ids, gone_is_tombstone=True)
        staged_ids = await _already_staged(ctx, [o.external_id for o in fetched])
        objects = [o for o in fetched
                   if o.is_deleted or wanted(o.payload, settings) or o.external_id in staged_ids]
        objects += [RawObject(i, {"id": i}, is_deleted=True) for i in sorted(deleted)]
        page_token = page.get("nextPageToken")
        cursor = ({"historyId": start, "historyPageToken": page_token} if page_token
                  else {"historyId": str(page["historyId"])})
        await stager.commit(objects, cursor)
        if not page_token:
            return cursor


async def _already_staged(ctx, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    async with ctx.db() as conn:
        rows = await (await conn.execute(
            "select external_id from integrations.raw_heads where connection_id = %s and resource_type = %s"
            " and external_id = any(%s)", (ctx.connection_id, RESOURCE, ids))).fetchall()
    return {r["external_id"] for r in rows}


async def sync_inbox_live(ctx) -> dict:
    """One run: resume or start a full sync, or follow history; a 404 history means full resync."""
    settings = InboxLiveSettings.model_validate(ctx.connection["settings"].get(CAPABILITY) or {})
    stager = PageStager(ctx, CAPABILITY)
    cursor = await stager.load_cursor()
    if "historyId" in cursor and "full" not in cursor:
        try:
            cursor = await incremental_sync(ctx, stager, settings, cursor)
            return {"mode": "incremental", "staged": stager.staged, "cursor": cursor}
        except NotFound:
            logger.warning("history of %s expired; full resync", ctx.connection_id)
            cursor = await full_sync(ctx, stager, settings, {}, reason="history expired (HTTP 404 on history.list)")
            return {"mode": "full-resync", "staged": stager.staged, "cursor": cursor}
    reason = "resumed" if "full" in cursor else "first sync"
    cursor = await full_sync(ctx, stager, settings, cursor, reason=reason)
    return {"mode": "full", "staged": stager.staged, "cursor": cursor}


__all__ = ["sync_inbox_live", "PageStager", "fetch_objects", "CursorExpired"]
