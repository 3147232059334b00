"""Twilio reconcile: the account's messages (or calls) since the backfill began, against what is
staged and what is normalized; the comparison itself is worker/sync/reconcile.py.

This is how deletions reach the CRM: a message deleted at Twilio is gone from the list, so it is
staged here but not listed ("extra"), and repair reads it by SID — 404 — and stages a tombstone.
The scope is the live sync's: objects dated on or after the backfill's start (`scopeStart` of its
cursor), plus staged ones with no date yet (a queued message), each asked for by SID.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from worker.providers.twilio.api import MESSAGES, Resource, parse_date
from worker.providers.twilio.capabilities import WindowSettings
from worker.providers.twilio.client.errors import NotFound
from worker.providers.twilio.objects import read_again
from worker.store import query
from worker.store.reads import relation_exists, stream_staged_field
from worker.store.sync_state import load_cursor_locked, stream_key
from worker.sync.stager import PageStager

REPAIR_BATCH = 200
PRODUCT = {"twilio.message": ("product.text_messages", "twilio.normalized_text_message_ids"),
           "twilio.call": ("product.calls", "twilio.normalized_call_ids")}


class WindowReconciler:
    normalized_per_connection = True

    def __init__(self, ctx, resource: Resource = MESSAGES, capability: str = "sync_sms_live") -> None:
        self.ctx, self.resource, self.capability = ctx, resource, capability
        self.api = ctx.api
        self._scope: datetime | None = None
        self._undated: set[str] | None = None

    async def scope_start(self) -> datetime:
        """Where the live sync's backfill began; before its first run, where it would begin now."""
        if self._scope is None:
            async with self.ctx.db() as conn:
                cursor = await load_cursor_locked(conn, stream_key(self.ctx.connection_id, self.capability)) or {}
            start = cursor.get("scopeStart") or (cursor.get("full") or {}).get("windowStart")
            if start:
                self._scope = datetime.fromisoformat(start)
            else:
                days = WindowSettings.model_validate(self.ctx.settings_of(self.capability)).backfill_days
                self._scope = datetime.now(timezone.utc) - timedelta(days=days)
        return self._scope

    def in_scope(self, value, scope: datetime) -> bool | None:
        """True / False by the object's date; None when it has none yet."""
        date = parse_date(value)
        return None if date is None else date >= scope

    async def provider_ids(self) -> dict[str, str]:
        scope = await self.scope_start()
        ids: dict[str, str] = {}
        page = await self.api.list_page(self.resource, since=scope)
        while True:
            for item in self.api.items(self.resource, page):
                if self.in_scope(item.get(self.resource.date_field), scope) is not False:
                    ids[item["sid"]] = item["sid"]
            following = page.get("next_page_uri")
            if not following:
                break
            page = await self.api.list_page(self.resource, uri=following)
        for sid in sorted(await self.undated() - set(ids)):  # no date: not in a date-filtered list
            try:
                await self.api.fetch(self.resource, sid)
                ids[sid] = sid
            except NotFound:
                pass
        return ids

    async def _staged(self) -> dict[str, str | None]:
        async with self.ctx.db() as conn:
            return {sid: date async for sid, date in
                    stream_staged_field(conn, self.ctx.connection_id, self.resource.resource_type,
                                        self.resource.date_field)}

    async def undated(self) -> set[str]:
        if self._undated is None:
            self._undated = {sid for sid, date in (await self._staged()).items() if parse_date(date) is None}
        return self._undated

    async def staged_ids(self) -> set[str]:
        scope = await self.scope_start()
        return {sid for sid, date in (await self._staged()).items() if self.in_scope(date, scope) is not False}

    async def normalized_keys(self) -> set[str] | None:
        relation, named = PRODUCT[self.resource.resource_type]
        async with self.ctx.db() as conn:
            if not await relation_exists(conn, relation):
                return None
            rows = await (await conn.execute(query(named), {"connection_id": self.ctx.connection_id})).fetchall()
        return {r["external_id"] for r in rows}

    async def repair(self, ids: set[str]) -> int:
        """Stage what Twilio holds now for each SID: the object (missing) or a tombstone (gone)."""
        stager = PageStager(self.ctx, self.capability, resource=self.resource.resource_type)
        ordered = sorted(ids)
        for start in range(0, len(ordered), REPAIR_BATCH):
            await stager.begin_fetch()
            objects, failures = await read_again(self.api, self.resource, ordered[start:start + REPAIR_BATCH])
            await stager.stage_page(objects, None, failures=failures)
        return stager.staged
