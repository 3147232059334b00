"""The two sync loops every provider runs: live (full once, then incremental) and once (a manual run).

A provider supplies only how to fetch one page; the loops own the order of operations that the
invariants depend on — each page staged with the cursor that follows it, a dead incremental
cursor turned into a full resync that settles before its flag is dropped, a manual run's progress
kept in its own row so a killed run resumes at its page.

Live cursor lifecycle (`LiveCursor`):

    {}                      → begin_full → {full: F}        (a full sync in flight)
    {full: F}               → full pages  → {<incremental position>, settle?}
    {<position>}            → incremental pages → {<newer position>}
    {<position>} + CursorExpired → {settle} → begin_full(settle) → … → settle step → {<position>}
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Generic, Protocol, TypeVar

from worker.store.staging import RawObject
from worker.sync.cursors import LiveCursor, OnceProgress
from worker.sync.errors import CursorExpired
from worker.sync.stager import Companions, PageStager

logger = logging.getLogger(__name__)

C = TypeVar("C", bound=LiveCursor)
P = TypeVar("P", bound=OnceProgress)


@dataclass
class Page(Generic[C]):
    """One fetched page and the cursor to save with it; `more`: another page follows."""

    objects: list[RawObject]
    cursor: C
    more: bool
    failures: list[tuple[str, str]] = field(default_factory=list)
    before: Companions = ()
    after: Companions = ()


class LiveStream(Protocol[C]):
    """One provider stream (a mailbox, a calendar, a channel) as the live loop drives it."""

    cursor_model: type[C]
    expired_reason: str  # recorded as the reason of the full resync after CursorExpired

    async def begin_full(self, reason: str, settle: bool) -> C:
        """A fresh full-sync cursor (its start position recorded before anything is listed)."""

    async def full_page(self, cursor: C) -> Page[C]:
        """The next page of the full listing; the last page's cursor is the incremental position."""

    async def incremental_page(self, cursor: C) -> Page[C]:
        """The next page of changes since the cursor; raises CursorExpired when it is dead."""

    async def settle(self) -> None:
        """After a resync: stage what vanished while the cursor was dead (tombstones)."""


async def stage_pages(stager: PageStager, fetch: Callable[[C], Awaitable[Page[C]]], cursor: C) -> C:
    """Fetch and stage pages until the last one; each page commits with the cursor after it."""
    while True:
        page = await fetch(cursor)
        await stager.stage_page(page.objects, page.cursor, failures=page.failures, before=page.before,
                                after=page.after)
        cursor = page.cursor
        if not page.more:
            return cursor


async def full_sync(stream: LiveStream[C], stager: PageStager, cursor: C | None, reason: str, settle: bool) -> C:
    """Resume the full sync in `cursor`, or start one (recorded on the row with its reason)."""
    if cursor is None or cursor.full is None:
        cursor = await stream.begin_full(reason, settle)
        await stager.record_full_sync(reason)
        await stager.advance(cursor)
    return await stage_pages(stager, stream.full_page, cursor)


async def run_live(stream: LiveStream[C], stager: PageStager) -> tuple[str, C]:
    """One live run: resume or start a full sync, or follow the incremental cursor (a dead one
    means a full resync) — and settle a resync before its cursor loses the flag. Returns the mode
    (`full`, `incremental`, `full-resync`) and the final cursor."""
    model = stream.cursor_model
    cursor = await stager.load_cursor(model)
    if cursor.settle and cursor.full is None and cursor.is_incremental():
        mode = "full-resync"  # listed in full, then its worker died before settling
    elif cursor.full is None and cursor.is_incremental():
        try:
            cursor = await stage_pages(stager, stream.incremental_page, cursor)
            mode = "incremental"
        except CursorExpired:
            logger.warning("%s of %s: incremental cursor expired; full resync", stager.capability,
                           stager.ctx.connection_id)
            await stager.advance(model(settle=True))  # the dead position goes, the flag stays
            cursor = await full_sync(stream, stager, None, stream.expired_reason, settle=True)
            mode = "full-resync"
    else:
        reason = "resumed" if cursor.full is not None else "first sync"
        settle = bool(cursor.settle or (cursor.full is not None and cursor.full.settle))
        try:
            cursor = await full_sync(stream, stager, cursor, reason, settle)
        except CursorExpired:  # a page token of an old full sync is no longer valid: start over
            await stager.advance(model(settle=settle or None))
            cursor = await full_sync(stream, stager, None, f"{reason}; page token expired", settle)
        mode = "full-resync" if cursor.settle else "full"
    if cursor.settle:
        await stream.settle()
        cursor = cursor.settled()
        await stager.advance(cursor)
    return mode, cursor


@dataclass
class OncePage:
    """One page of a manual run: what was listed, what to stage, and where the listing goes on."""

    objects: list[RawObject]
    listed: int
    next_token: str | None
    failures: list[tuple[str, str]] = field(default_factory=list)
    before: Companions = ()
    estimate: int | None = None


async def run_once(stager: PageStager, model: type[P], fetch: Callable[[P, int | None], Awaitable[OncePage]],
                   max_items: int | None = None, defaults: dict | None = None) -> P:
    """A manual run to its end: `fetch(progress, remaining)` lists the next page (at most
    `remaining` items when a maximum is set). The last page and `done` commit together, so a
    finished run is never repeated and a killed one resumes at its page."""
    stored = await stager.load_cursor()
    progress = model.model_validate({**(defaults or {}), **stored})
    if progress.done:
        return progress
    while True:
        remaining = None if max_items is None else max_items - progress.listed
        if remaining is not None and remaining <= 0:
            break
        page = await fetch(progress, remaining)
        listed = progress.listed + page.listed
        last = not page.next_token or (max_items is not None and listed >= max_items)
        progress = progress.model_copy(update={
            "pageToken": page.next_token, "listed": listed, "staged": progress.staged + len(page.objects),
            "failed": progress.failed + len(page.failures), "estimate": page.estimate, "done": last})
        await stager.stage_page(page.objects, progress, failures=page.failures, before=page.before)
        if last:
            return progress
    progress = progress.model_copy(update={"done": True})
    await stager.advance(progress)
    return progress
