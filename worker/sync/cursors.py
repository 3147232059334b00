"""Cursors are pydantic models: a typo or a half-written cursor fails loudly instead of restarting a sync.

Stored in `sync_state.cursor` as their JSON with unset (None) fields left out, so the stored shape
is exactly the fields that mean something. A live cursor is either a full sync in flight (`full`)
or an incremental position (the provider's token); `settle` survives from a resync until its
settle step has run, so a worker killed in between cannot skip it.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, model_serializer


class Cursor(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    # fields stored even when None (a `pageToken: null` says "before the first page")
    keep_none: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _without_unset(self, handler) -> dict[str, Any]:
        return {k: v for k, v in handler(self).items() if v is not None or k in self.keep_none}

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class FullSync(Cursor):
    """A full listing in flight: where it is, why it started, and whether it must settle."""

    keep_none: ClassVar[frozenset[str]] = frozenset({"pageToken"})

    pageToken: str | None = None
    reason: str | None = None
    startedAt: str | None = None
    settle: bool | None = None


FullT = TypeVar("FullT", bound=FullSync)


class LiveCursor(Cursor, Generic[FullT]):
    """Subclasses add the provider's incremental position and say when it is usable."""

    full: FullT | None = None
    settle: bool | None = None

    def is_incremental(self) -> bool:
        raise NotImplementedError

    def settled(self) -> "LiveCursor":
        """The same position without the settle flag (the settle step has run)."""
        return self.model_copy(update={"settle": None})


class OnceProgress(Cursor):
    """A manual run's progress in its own `run:<id>` row: `sync once --wait` draws it as a bar."""

    pageToken: str | None = None
    listed: int = 0
    staged: int = 0
    failed: int = 0
    estimate: int | None = None
    done: bool = False
