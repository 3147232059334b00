"""Slack reconcile: each channel's messages of the last `reconcile_days` (with their threads) at
Slack, against what is staged and normalized for that window. Repair stages what the listing
just read (missing messages) and tombstones what Slack no longer has (extra ones).

Bounded to a window because Slack's history is rate limited per channel (1 request a minute for
non-Marketplace apps): a complete comparison of years of history could take days.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from decimal import Decimal

from worker.providers.slack.capabilities import ChannelsLiveSettings
from worker.providers.slack.channels.messages import (
    MESSAGE,
    is_thread_parent,
    message_id,
    message_record,
    seconds,
    tombstone,
    ts_of,
    valid,
)
from worker.providers.slack.channels.scope import CAPABILITY, channels_in_scope
from worker.providers.slack.client.errors import NotFound
from worker.store.reads import normalized_chat_messages, staged_field_between
from worker.sync.stager import PageStager


class ChannelsReconciler:
    capability = CAPABILITY
    normalized_per_connection = True

    def __init__(self, ctx, channels: list[str] | None = None) -> None:
        self.ctx = ctx
        self.settings = ChannelsLiveSettings.model_validate(ctx.settings_of(CAPABILITY))
        self.channels = channels
        now = Decimal(str(time.time()))
        self.oldest, self.latest = ts_of(now - Decimal(str(self.settings.reconcile_days * 86400))), ts_of(now)
        self.listed: dict[str, dict] = {}  # external id → the message as just read
        self.stager = PageStager(ctx, CAPABILITY, resource=MESSAGE)

    async def scope(self) -> list[str]:
        if self.channels is None:
            self.channels = await channels_in_scope(self.ctx, self.settings.channels, CAPABILITY)
        return self.channels

    async def provider_ids(self) -> dict[str, str]:
        await self.stager.begin_fetch()  # what repair stages is fenced from before this listing
        for channel in await self.scope():
            messages: list = []
            async for _, items, _ in self.ctx.api.history(channel, oldest=self.oldest, latest=self.latest):
                messages.extend(m for m in items if valid(m))
            for parent in [m["ts"] for m in messages if is_thread_parent(m)]:
                try:
                    messages.extend(r for r in await self.ctx.api.thread(channel, parent) if valid(r))
                except NotFound:
                    continue
            for m in messages:
                if m.get("subtype") != "tombstone":  # a deleted parent kept for its replies
                    self.listed[message_id(channel, m["ts"])] = m
        return {external_id: external_id for external_id in self.listed}

    async def staged_ids(self) -> set[str]:
        staged: set[str] = set()
        async with self.ctx.db() as conn:
            for channel in await self.scope():
                staged |= set(await staged_field_between(conn, self.ctx.connection_id, MESSAGE, "ts",
                                                         message_id(channel, self.oldest),
                                                         message_id(channel, self.latest)))
        return staged

    async def normalized_keys(self) -> set[str] | None:
        since = datetime.fromtimestamp(float(seconds(self.oldest)), timezone.utc)
        async with self.ctx.db() as conn:
            keys = await normalized_chat_messages(conn, self.ctx.connection_id, since)
        if keys is None:
            return None
        channels = set(await self.scope())
        return {k for k in keys if k.partition(":")[0] in channels and seconds(k.partition(":")[2]) <= seconds(self.latest)}

    async def repair(self, ids: set[str]) -> int:
        objects = [message_record(i.partition(":")[0], self.listed[i]) if i in self.listed else tombstone(i)
                   for i in sorted(ids)]
        await self.stager.stage_page(objects, None)
        return self.stager.staged
