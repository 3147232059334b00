"""`sync_channels_live`: per channel, the full history once, then a re-read window on every run.

Slack has no change feed. The first run reads a channel's history in full (resumable at its page
cursor, up to the instant it started) with every thread's replies. Each later run re-reads the
window from the newest message seen minus `lookback_hours`: new messages, edits, deletions and
replies inside it are found by comparison — a message staged in the window and absent from the
re-read is a tombstone. Threads whose latest reply is recent are re-read too, so a late reply to
an older thread is found while the thread is active. One sync_state row per channel; the users
stream and the channel list are staged beside them.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from decimal import Decimal

from worker.providers.slack.capabilities import ChannelsLiveSettings
from worker.providers.slack.channels.messages import (
    MESSAGE,
    USER,
    is_reply,
    is_thread_parent,
    message_id,
    message_record,
    seconds,
    tombstone,
    ts_of,
    valid,
)
from worker.providers.slack.channels.reconcile import ChannelsReconciler
from worker.providers.slack.channels.scope import CAPABILITY, channels_in_scope
from worker.providers.slack.channels.users import STREAM as USERS_STREAM
from worker.providers.slack.channels.users import UserBook, sync_users
from worker.providers.slack.client.errors import NotFound
from worker.store.reads import staged_field_between
from worker.store.staging import RawObject
from worker.sync.cursors import FullSync, LiveCursor
from worker.sync.loops import Page, run_live
from worker.sync.outcome import run_streams
from worker.sync.reconcile import reconcile
from worker.sync.stager import PageStager

EXPIRED_REASON = "Slack refused a history cursor (invalid_cursor)"
MAX_THREADS = 500  # active threads followed per channel


class ChannelFullSync(FullSync):
    """The first read of a channel's history, newest first, up to `upTo` (the instant it began)."""

    upTo: str
    threads: dict[str, str] | None = None


class ChannelCursor(LiveCursor[ChannelFullSync]):
    """`lastTs`: the newest message seen; `threads`: parent ts → latest reply ts of active threads."""

    lastTs: str | None = None
    threads: dict[str, str] | None = None

    def is_incremental(self) -> bool:
        return self.lastTs is not None


def active_threads(known: dict[str, str], messages: list[dict], since: Decimal) -> dict[str, str]:
    """Threads whose latest reply is at or after `since`, newest first, at most MAX_THREADS."""
    threads = dict(known)
    for m in messages:
        if is_thread_parent(m) and isinstance(m.get("latest_reply"), str):
            threads[m["ts"]] = m["latest_reply"]
    recent = {p: r for p, r in threads.items() if seconds(r) >= since}
    return dict(sorted(recent.items(), key=lambda item: seconds(item[1]), reverse=True)[:MAX_THREADS])


class ChannelStream:
    """One channel as the live loop drives it."""

    cursor_model = ChannelCursor
    expired_reason = EXPIRED_REASON

    def __init__(self, ctx, channel: str, lookback_seconds: float, users: UserBook) -> None:
        self.ctx, self.channel, self.lookback, self.users = ctx, channel, Decimal(str(lookback_seconds)), users

    async def read(self, messages: list, threads: list[str], broadcasts_from: Decimal | None):
        """Records of `messages` and of the replies of `threads` (a reply broadcast to the channel
        at or after `broadcasts_from` is in the history already), with item failures and the
        authors to stage before them."""
        objects: list[RawObject] = []
        failures: list[tuple[str, str]] = []
        seen = [m for m in messages if valid(m)]
        failures += [(message_id(self.channel, "?"), "a history entry without a ts") for m in messages if not valid(m)]
        objects += [message_record(self.channel, m) for m in seen]
        for parent in threads:
            try:
                thread = await self.ctx.api.thread(self.channel, parent)
            except NotFound:  # the parent and its replies are gone: the window comparison finds them
                continue
            for reply in thread:
                if not valid(reply) or reply["ts"] == parent:
                    continue
                if reply.get("subtype") == "thread_broadcast" and (
                        broadcasts_from is None or seconds(reply["ts"]) >= broadcasts_from):
                    continue
                seen.append(reply)
                objects.append(message_record(self.channel, reply))
        authors, author_failures = await self.users.missing(seen)
        return objects, failures + author_failures, authors, seen

    async def begin_full(self, reason: str, settle: bool) -> ChannelCursor:
        return ChannelCursor(full=ChannelFullSync(reason=reason, settle=settle or None, upTo=ts_of(time.time()),
                                                  startedAt=datetime.now(timezone.utc).isoformat()))

    async def full_page(self, cursor: ChannelCursor) -> Page[ChannelCursor]:
        full = cursor.full
        pages = self.ctx.api.history(self.channel, latest=full.upTo, cursor=full.pageToken)
        _, messages, following = await anext(pages)
        await pages.aclose()
        parents = [m["ts"] for m in messages if valid(m) and is_thread_parent(m)]
        objects, failures, authors, _ = await self.read(messages, parents, broadcasts_from=None)
        threads = active_threads(full.threads or {}, messages, seconds(full.upTo) - self.lookback)
        if following:
            nxt = ChannelCursor(full=full.model_copy(update={"pageToken": following, "threads": threads or None}))
            return Page(objects, nxt, more=True, failures=failures, before=[(USER, authors)])
        done = ChannelCursor(lastTs=full.upTo, threads=threads or None, settle=full.settle)
        return Page(objects, done, more=False, failures=failures, before=[(USER, authors)])

    async def incremental_page(self, cursor: ChannelCursor) -> Page[ChannelCursor]:
        now = ts_of(time.time())
        oldest = ts_of(max(Decimal(0), seconds(cursor.lastTs) - self.lookback))
        messages: list = []
        async for _, items, _ in self.ctx.api.history(self.channel, oldest=oldest, latest=now):
            messages.extend(items)
        in_window = [m["ts"] for m in messages if valid(m) and is_thread_parent(m)]
        followed = [p for p in (cursor.threads or {}) if p not in in_window]
        objects, failures, authors, seen = await self.read(messages, in_window + followed, seconds(oldest))
        reread = set(in_window + followed)
        async with self.ctx.db() as conn:
            staged = await staged_field_between(conn, self.ctx.connection_id, MESSAGE, "thread_ts",
                                                message_id(self.channel, oldest), message_id(self.channel, now))
        present = {message_id(self.channel, m["ts"]) for m in seen}
        gone = [tombstone(external_id) for external_id, thread_ts in staged.items()
                if external_id not in present and (not thread_ts or thread_ts == external_id.partition(":")[2]
                                                   or thread_ts in reread)]
        top = [m["ts"] for m in seen if not is_reply(m)]
        newest = max([cursor.lastTs, *top], key=seconds)
        threads = active_threads({p: r for p, r in (cursor.threads or {}).items()}, seen,
                                 seconds(now) - self.lookback)
        return Page(objects + gone, ChannelCursor(lastTs=newest, threads=threads or None), more=False,
                    failures=failures, before=[(USER, authors)])

    async def settle(self) -> None:
        """After a resync: what vanished while the cursor was dead is found by reconcile's window."""
        await reconcile(ChannelsReconciler(self.ctx, channels=[self.channel]), do_repair=True)


async def sync_channel(ctx, channel: str, lookback_seconds: float, users: UserBook) -> dict:
    stager = PageStager(ctx, CAPABILITY, stream=channel, resource=MESSAGE)
    mode, _ = await run_live(ChannelStream(ctx, channel, lookback_seconds, users), stager)
    return {"mode": mode, "staged": stager.staged}


async def sync_channels_live(ctx) -> dict:
    """The users stream, then every channel in turn, each on its own row: one failing channel (the
    bot removed from it) is that channel's failure; the others go on."""
    settings = ChannelsLiveSettings.model_validate(ctx.settings_of(CAPABILITY))
    channels = await channels_in_scope(ctx, settings.channels, CAPABILITY)
    users = UserBook(ctx)
    lookback = settings.lookback_hours * 3600

    async def run(stream: str) -> dict:
        if stream == USERS_STREAM:
            return await sync_users(ctx, CAPABILITY)
        return await sync_channel(ctx, stream, lookback, users)

    results = await run_streams(ctx, CAPABILITY, [USERS_STREAM, *channels], run)
    return {"channels": {c: r for c, r in results.items() if c != USERS_STREAM},
            "staged": sum(r["staged"] for r in results.values())}
