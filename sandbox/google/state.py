"""The sandbox's whole world: accounts with their mailbox and calendars, behind one lock.

Handlers and the Python mutation API both go through ``World`` while holding ``World.lock``;
that single re-entrant lock is what makes the threaded server safe.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from . import mime
from .calendar_store import CalendarAccount
from .mailbox import Mailbox, StoredMessage

FIRST_HISTORY_ID = 1000


@dataclass
class WorldConfig:
    attachment_threshold: int = 8192
    history_retention: int | None = None


class World:
    def __init__(self, config: WorldConfig | None = None) -> None:
        self.config = config or WorldConfig()
        self.lock = threading.RLock()
        self.mailboxes: dict[str, Mailbox] = {}
        self.calendars: dict[str, CalendarAccount] = {}
        self._message_counter = 0
        self.on_mailbox_change = None  # the sandbox's Gmail push (pubsub.PubSubPush.mailbox_changed)
        self.on_calendar_change = None  # its Calendar push (channels.CalendarChannels.calendar_changed)

    def ensure_account(self, email: str) -> None:
        email = email.lower()
        with self.lock:
            if email not in self.mailboxes:
                self.mailboxes[email] = Mailbox(
                    email=email,
                    history_id=FIRST_HISTORY_ID,
                    history_floor=FIRST_HISTORY_ID,
                    retention=self.config.history_retention,
                    on_change=lambda *change: self.on_mailbox_change and self.on_mailbox_change(*change),
                )
                self.calendars[email] = CalendarAccount(
                    email, on_change=lambda *change: self.on_calendar_change and self.on_calendar_change(*change))

    def accounts(self) -> list[str]:
        with self.lock:
            return sorted(self.mailboxes)

    def mailbox(self, email: str) -> Mailbox:
        self.ensure_account(email)
        return self.mailboxes[email.lower()]

    def calendar_account(self, email: str) -> CalendarAccount:
        self.ensure_account(email)
        return self.calendars[email.lower()]

    def new_message_id(self) -> str:
        self._message_counter += 1
        return f"{0x18f0000000000000 + self._message_counter * 7919:016x}"

    def import_raw(
        self,
        email: str,
        raw: bytes,
        label_ids=("INBOX", "UNREAD"),
        *,
        internal_date: int | None = None,
        thread_id: str | None = None,
        message_id: str | None = None,
    ) -> StoredMessage:
        """Store raw RFC 2822 bytes as a new message, as Gmail's import does; records history."""
        with self.lock:
            box = self.mailbox(email)
            if message_id is None or message_id in box.messages:
                message_id = self.new_message_id()
            parsed = mime.parse(raw, message_id, self.config.attachment_threshold)
            if internal_date is None:
                internal_date = mime.date_ms(parsed.headers.get("date")) or int(time.time() * 1000)
            thread = box.thread_for(parsed, thread_id) or thread_id or message_id
            stored = StoredMessage(
                id=message_id, thread_id=thread, label_ids=list(dict.fromkeys(label_ids)),
                internal_date=int(internal_date), raw=raw, parsed=parsed, history_id=0,
            )
            box.add(stored)
            return stored
