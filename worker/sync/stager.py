"""The stager: a page of raw objects and its cursor in one transaction (invariant 1), for any provider.

Two fences against a stale writer (invariant 4): the snapshot taken before each fetch
(`begin_fetch`, done by `load_cursor` and after every stage) keeps a live version fetched before a
tombstone was committed from replacing it; and a cursor loaded by `load_cursor` is only ever
moved from the value this writer loaded or saved — if another writer moved it meanwhile, the page
is rolled back and `StaleWriter` raised.
"""

from __future__ import annotations

from typing import Awaitable, Callable, Iterable, Sequence, TypeVar

from worker.store.staging import RawObject, StageCount, StaleWriter, astage_records, snapshot
from worker.store.sync_state import (
    load_cursor_locked,
    mark_full_sync,
    record_item_failures,
    resolve_item_failures,
    save_cursor,
)
from worker.sync.cursors import Cursor

C = TypeVar("C", bound=Cursor)
Companions = Sequence[tuple[str, Sequence[RawObject]]]  # (resource type, objects) staged with a page

# called after a commit that stored something new, with the resource types it stored (the task
# layer asks for a normalize run of what they feed); a list the upper layers append to, so staging
# never imports them
_after_staged: list[Callable[[frozenset[str]], Awaitable[object]]] = []


def on_staged(callback: Callable[[frozenset[str]], Awaitable[object]]) -> None:
    if callback not in _after_staged:
        _after_staged.append(callback)


class PageStager:
    def __init__(self, ctx, capability: str, stream: str = "", resource: str | None = None) -> None:
        self.ctx = ctx
        self.capability = capability
        self.stream = stream
        self.resource = resource
        self.staged = 0
        self.fetched_since: str | None = None  # snapshot before the objects of the next stage were fetched
        self._cursor: dict | None = None  # the stream's cursor as this writer last read or wrote it

    def _key(self) -> dict:
        return {"connection_id": self.ctx.connection_id, "capability": self.capability, "stream": self.stream}

    async def load_cursor(self, model: type[C] | None = None) -> C | dict:
        """The stream's cursor (an empty one when none is stored), fenced for this writer."""
        async with self.ctx.db() as conn:
            stored = await load_cursor_locked(conn, self._key())
            self.fetched_since = await snapshot(conn)
        self._cursor = dict(stored or {})
        return dict(self._cursor) if model is None else model.model_validate(self._cursor)

    async def begin_fetch(self) -> None:
        """Call before fetching what the next stage holds (load_cursor and every stage do it too)."""
        async with self.ctx.db() as conn:
            self.fetched_since = await snapshot(conn)

    async def advance(self, cursor: Cursor) -> None:
        """Move the cursor with nothing staged (a full sync starting, a settle step done)."""
        await self.stage_page([], cursor)

    async def stage_page(self, objects: Iterable[RawObject], cursor: Cursor | None, *, resource: str | None = None,
                         failures: Iterable[tuple[str, str]] = (), before: Companions = (),
                         after: Companions = ()) -> int:
        """Stage `objects` of `resource`, with their companions (`before`: e.g. bodies fetched
        apart; `after`: records the objects' tombstones and versions must fence), record the
        page's per-item `failures` (id, error), move the cursor: one commit. Returns how many new
        versions of `objects` and `after` were stored."""
        objects = list(objects)
        resource = resource or self.resource
        ids = self.ctx.connection_id, self.ctx.tenant_id, self.capability
        async with self.ctx.db() as conn:
            async with conn.transaction():
                for companion, items in before:
                    if items:
                        await astage_records(conn, *ids, companion, items, fetched_since=self.fetched_since)
                count = await astage_records(conn, *ids, resource, objects, fetched_since=self.fetched_since)
                for companion, items in after:
                    if items:
                        count = StageCount(count + await astage_records(conn, *ids, companion, items,
                                                                        fetched_since=self.fetched_since),
                                           count.unstorable)
                item = {"connection_id": self.ctx.connection_id, "resource_type": resource}
                await resolve_item_failures(conn, item, [o.external_id for o in objects
                                                         if o.external_id not in count.unstorable], "staged")
                await record_item_failures(conn, item, self.capability, failures)
                if cursor is not None:
                    await self._save_cursor(conn, cursor.dump())
            self.fetched_since = await snapshot(conn)
        self.staged += count
        if count:
            stored = frozenset({resource, *(c for c, items in (*before, *after) if items)} - {None})
            for callback in _after_staged:
                await callback(stored)
        return count

    async def _save_cursor(self, conn, cursor: dict) -> None:
        if not await save_cursor(conn, self._key(), cursor, expected=self._cursor):
            raise StaleWriter(f"{self.capability}{'/' + self.stream if self.stream else ''} of "
                              f"{self.ctx.connection_id}: another run moved the cursor since this one read it;"
                              " this run's page is dropped (the newer run has it)")
        if self._cursor is not None:
            self._cursor = dict(cursor)

    async def record_full_sync(self, reason: str) -> None:
        async with self.ctx.db() as conn:
            await mark_full_sync(conn, self._key(), reason)
