"""The Twilio sandbox's world: accounts, their API keys, numbers, texts and calls, behind one
re-entrant lock (handlers and the Python API both hold it), with the clock statuses move on.

Keys live in one registry across accounts because a key SID names one account: a request whose key
belongs to another account fails authentication (``auth``). SIDs come from one seeded generator, so
a reset sandbox hands out the same SIDs in the same order.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime

from . import lifecycle, numbers
from .clock import Clock
from .resources import account_resource, new_sid, parse_date


@dataclass
class Record:
    """A stored Message or Call: ``data`` is the resource exactly as the API returns it; the rest is
    the sandbox's bookkeeping (order, pending status steps, the callback URL given at creation)."""

    data: dict
    seq: int
    time_field: str  # what lists sort and filter on: "date_sent" (Message) or "start_time" (Call)
    born: float = 0.0
    steps: list = field(default_factory=list)
    status_callback: str | None = None
    created_at: datetime = field(init=False)
    time_at: datetime | None = field(init=False)
    end_at: datetime | None = field(init=False)  # a Call's end_time (EndTime filters)
    _key: tuple = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Re-read the dates after ``data`` changed (and the sort key that follows from them)."""
        self.created_at = parse_date(self.data["date_created"])
        self.time_at = parse_date(self.data.get(self.time_field))
        self.end_at = parse_date(self.data.get("end_time"))
        primary = self.time_at or self.created_at
        self._key = (int(primary.timestamp()), int(self.created_at.timestamp()), self.seq)

    def sort_key(self) -> tuple:
        """Newest first means descending on this: the list's time (creation when not yet set), then
        creation, then arrival."""
        return self._key


@dataclass
class ApiKey:
    sid: str
    account_sid: str
    secret: str
    friendly_name: str = ""
    revoked: bool = False


@dataclass
class Account:
    sid: str
    friendly_name: str
    auth_token: str
    created: datetime
    numbers: set[str] = field(default_factory=set)  # owned numbers; empty = any well-formed From
    messages: dict[str, Record] = field(default_factory=dict)
    calls: dict[str, Record] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)  # sids of messages with status steps left

    def resource(self) -> dict:
        return account_resource(self.sid, self.friendly_name, self.auth_token, self.created)

    def service_sender(self, service_sid: str | None) -> str:
        """The number a Messaging Service sends from: an owned one, else one derived from its SID."""
        if self.numbers:
            return sorted(self.numbers)[0]
        digits = int(hashlib.sha1((service_sid or self.sid).encode()).hexdigest(), 16) % 10_000
        return f"+1415555{digits:04d}"


class World:
    def __init__(self, seed: int, clock: Clock) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.rng = random.Random(f"{seed}/twilio")
        self.by_sid: dict[str, Account] = {}
        self.keys: dict[str, ApiKey] = {}
        self.designated: dict[str, tuple[str, int]] = dict(numbers.DESIGNATED)
        self._seq = itertools.count(1)

    def new_sid(self, prefix: str) -> str:
        return new_sid(prefix, self.rng)

    def next_seq(self) -> int:
        return next(self._seq)

    # -- accounts --------------------------------------------------------------------------------
    def ensure_account(self, sid: str | None = None, friendly_name: str | None = None) -> Account:
        with self.lock:
            sid = sid or self.new_sid("AC")
            if not sid.startswith("AC"):
                raise ValueError(f"an Account SID starts with AC: {sid!r}")
            if sid not in self.by_sid:
                self.by_sid[sid] = Account(sid, friendly_name or f"Sandbox account {sid[-6:]}",
                                           secrets.token_hex(16), self.clock.now())
            return self.by_sid[sid]

    def account(self, sid: str) -> Account:
        """The account ``sid``; KeyError when the sandbox has none."""
        with self.lock:
            return self.by_sid[sid]

    def accounts(self) -> list[str]:
        with self.lock:
            return sorted(self.by_sid)

    # -- keys ------------------------------------------------------------------------------------
    def new_key(self, account_sid: str, friendly_name: str = "") -> ApiKey:
        with self.lock:
            self.ensure_account(account_sid)
            key = ApiKey(self.new_sid("SK"), account_sid, secrets.token_urlsafe(24), friendly_name)
            self.keys[key.sid] = key
            return key

    def revoke_key(self, account_sid: str, key_sid: str) -> None:
        with self.lock:
            key = self.keys.get(key_sid)
            if key is None or key.account_sid != account_sid:
                raise KeyError(f"no API key {key_sid} in account {account_sid}")
            key.revoked = True

    # -- statuses --------------------------------------------------------------------------------
    def settle(self, account: Account) -> None:
        """Apply every status step now due in ``account`` (called before anything reads it)."""
        with self.lock:
            if not account.pending:
                return
            progress = self.clock.progress()
            for sid in list(account.pending):
                record = account.messages.get(sid)
                if record is None:
                    account.pending.discard(sid)
                    continue
                lifecycle.settle(record, progress, account.service_sender(record.data.get("messaging_service_sid")))
                if not record.steps:
                    account.pending.discard(sid)

    def newest_first(self, records) -> list[Record]:
        return sorted(records, key=Record.sort_key, reverse=True)
