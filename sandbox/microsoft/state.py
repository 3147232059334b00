"""The Microsoft sandbox's world: every account's mailbox and calendars behind one re-entrant lock
(handlers and the Python API both hold it)."""

from __future__ import annotations

import threading

from .calendar_store import CalendarAccount
from .mail_store import Mailbox


class World:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.mailboxes: dict[str, Mailbox] = {}
        self.calendars: dict[str, CalendarAccount] = {}
        self.on_mail_change = None  # the sandbox's change notifications (subscriptions.Subscriptions.mail_changed)
        self.on_calendar_change = None  # (subscriptions.Subscriptions.calendar_changed)

    def ensure_account(self, email: str) -> None:
        email = email.lower()
        with self.lock:
            if email not in self.mailboxes:
                self.mailboxes[email] = Mailbox(email)
                self.calendars[email] = CalendarAccount(email)
                self.mailboxes[email].on_change = lambda *change: self.on_mail_change and self.on_mail_change(
                    email, *change)
                self.calendars[email].on_change = lambda *change: (
                    self.on_calendar_change and self.on_calendar_change(email, *change))

    def accounts(self) -> list[str]:
        with self.lock:
            return sorted(self.mailboxes)

    def has(self, email: str) -> bool:
        return email.lower() in self.mailboxes

    def mailbox(self, email: str) -> Mailbox:
        self.ensure_account(email)
        return self.mailboxes[email.lower()]

    def calendar_account(self, email: str) -> CalendarAccount:
        self.ensure_account(email)
        return self.calendars[email.lower()]
