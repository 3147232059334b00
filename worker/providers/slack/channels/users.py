"""Slack users as raw records (`slack.user`), so a message's author reaches the CRM by address.

The workspace's users are listed in full now and then (a `users` stream with its own row); an
author seen between two listings and not yet staged is read alone (`users.info`), so a new
member's messages do not wait for the next listing to get an address.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from worker.providers.slack.channels.messages import USER
from worker.providers.slack.client.errors import NotFound
from worker.store.reads import staged_heads
from worker.store.staging import RawObject
from worker.sync.cursors import Cursor
from worker.sync.stager import PageStager

STREAM = "users"
LISTING_EVERY = timedelta(hours=12)


class UsersCursor(Cursor):
    listedAt: str | None = None


def user_record(user: dict) -> RawObject:
    return RawObject(user["id"], user)


class UserBook:
    """The authors this run has made sure are staged."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.known: set[str] = set()

    async def missing(self, messages: list[dict]) -> tuple[list[RawObject], list[tuple[str, str]]]:
        """Records of the authors of `messages` not staged yet (read one by one), and failures."""
        authors = sorted({m["user"] for m in messages if isinstance(m, dict) and isinstance(m.get("user"), str)}
                         - self.known)
        if not authors:
            return [], []
        async with self.ctx.db() as conn:
            staged = await staged_heads(conn, self.ctx.connection_id, USER, authors)
        self.known.update(staged)
        records, failures = [], []
        for user_id in (a for a in authors if a not in staged):
            try:
                user = await self.ctx.api.user(user_id)
            except NotFound as error:
                failures.append((user_id, error.describe()))
                continue
            self.known.add(user_id)
            if user.get("id"):
                records.append(user_record(user))
        return records, failures


async def sync_users(ctx, capability: str, force: bool = False) -> dict:
    """List every user when the last listing is older than `LISTING_EVERY` (or `force`)."""
    stager = PageStager(ctx, capability, stream=STREAM, resource=USER)
    cursor = await stager.load_cursor(UsersCursor)
    now = datetime.now(timezone.utc)
    if not force and cursor.listedAt and datetime.fromisoformat(cursor.listedAt) + LISTING_EVERY > now:
        return {"listed": 0, "staged": 0}
    users = await ctx.api.users()
    await stager.stage_page([user_record(u) for u in users], UsersCursor(listedAt=now.isoformat()))
    return {"listed": len(users), "staged": stager.staged}
