"""Delta queries (mail folders and calendar views) as snapshot differences.

A sync state remembers, for one scope (a folder, or a calendar window), what the client has seen:
``{key: (change_key, id as the client saw it)}``. A round compares it with now:

    created/updated = keys now present whose change key (or visible id) differs from the snapshot
    removed         = keys of the snapshot no longer present -> {"id", "@removed": {"reason": "deleted"}}

so moves out of a folder, deletions and events leaving a window all read as removals, and a move
without immutable ids (a new id) reads as a removal plus a creation, as Graph reports it. The
round's entries are served ``maxpagesize`` at a time behind opaque ``$skiptoken``s; the last page
carries a ``$deltatoken`` holding the new snapshot. Tokens live in the mailbox's ``states``;
forgetting them (``expire``) makes every old link answer 410 ``SyncStateNotFound``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from .errors import sync_state_not_found

Snapshot = dict[str, tuple[str, str]]  # key -> (change key, id as the client sees it)


@dataclass
class SyncState:
    scope: tuple
    options: dict
    snapshot: Snapshot
    pending: list[tuple[str, str]] = field(default_factory=list)  # ("item", key) | ("removed", id)


class DeltaTokens:
    def __init__(self) -> None:
        self.states: dict[str, SyncState] = {}

    def expire(self) -> int:
        count = len(self.states)
        self.states.clear()
        return count

    def load(self, token: str, scope: tuple) -> SyncState:
        state = self.states.get(token)
        if state is None or state.scope != scope:
            raise sync_state_not_found()
        return state

    def round(self, scope: tuple, options: dict, before: Snapshot, now: Snapshot) -> SyncState:
        """A new round from `before` (empty on a first sync) to `now`."""
        pending: list[tuple[str, str]] = []
        for key, (_change_key, seen_id) in before.items():
            current = now.get(key)
            if current is None or current[1] != seen_id:
                pending.append(("removed", seen_id))
        for key, value in now.items():
            if before.get(key) != value:
                pending.append(("item", key))
        return SyncState(scope, options, now, pending)

    def page(self, state: SyncState, size: int) -> tuple[list[tuple[str, str]], str, str]:
        """The next `size` entries and ``("skiptoken" | "deltatoken", token)`` for the link after them."""
        entries, rest = state.pending[:size], state.pending[size:]
        token = secrets.token_urlsafe(18)
        if rest:
            self.states[token] = SyncState(state.scope, state.options, state.snapshot, rest)
            return entries, "$skiptoken", token
        self.states[token] = SyncState(state.scope, state.options, state.snapshot, [])
        return entries, "$deltatoken", token
