"""Google's capabilities with their minimal scopes and settings (DESIGN.md, "Capabilities")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from worker.registry import Capability, CapabilitySettings, NoSettings, Provider, register

SCOPE = "https://www.googleapis.com/auth/"
GMAIL_READONLY = SCOPE + "gmail.readonly"
GMAIL_SEND = SCOPE + "gmail.send"
GMAIL_COMPOSE = SCOPE + "gmail.compose"
CALENDAR_READONLY = SCOPE + "calendar.readonly"
CALENDAR_EVENTS = SCOPE + "calendar.events"


class InboxLiveSettings(CapabilitySettings):
    labels: list[str] = Field(default_factory=lambda: ["INBOX", "SENT"], min_length=1)
    include_spam_trash: bool = False
    newer_than_days: int | None = Field(default=None, ge=1, le=36500)
    # a label-only change of a staged message: fetched with format=minimal and stored as a small
    # `gmail.labels` record (false: a full copy of the message per change, the old behaviour)
    label_records: bool = True

    @field_validator("labels")
    @classmethod
    def _labels_not_blank(cls, labels: list[str]) -> list[str]:
        if any(not label.strip() for label in labels):
            raise ValueError("label names must not be blank")
        return labels


class SendEmailSettings(CapabilitySettings):
    drafts: bool = Field(default=False, description="also create drafts (adds gmail.compose)")


class CalendarLiveSettings(CapabilitySettings):
    calendars: list[str] | Literal["all"] = Field(default_factory=lambda: ["primary"])
    two_way: bool = Field(default=False, description="CRM → Google writes (adds calendar.events)")


GOOGLE = register(
    Provider(
        name="google",
        ownership="user",
        capabilities={
            "sync_inbox_live": Capability(
                "sync_inbox_live", "live", frozenset({GMAIL_READONLY}), InboxLiveSettings,
                description="periodic, incremental Gmail sync (historyId)",
            ),
            "sync_inbox_once": Capability(
                "sync_inbox_once", "once", frozenset({GMAIL_READONLY}), NoSettings,
                description="manual Gmail sync with a query, labels, dates and a maximum",
            ),
            # gmail.send alone cannot finish the exactly-once path: the retry's `rfc822msgid:` lookup
            # needs `q` (gmail.readonly; gmail.metadata refuses q), and so do reply headers and
            # staging the sent copy (messages.get)
            "send_email": Capability(
                "send_email", "action", frozenset({GMAIL_SEND, GMAIL_READONLY}), SendEmailSettings,
                extra_scopes=lambda s: frozenset({GMAIL_COMPOSE}) if s.drafts else frozenset(),
                description="send, draft, reply in thread",
            ),
            "sync_calendar_live": Capability(
                "sync_calendar_live", "live", frozenset({CALENDAR_READONLY}), CalendarLiveSettings,
                extra_scopes=lambda s: frozenset({CALENDAR_EVENTS}) if s.two_way else frozenset(),
                description="periodic, incremental Calendar sync (syncToken)",
            ),
            "sync_calendar_once": Capability(
                "sync_calendar_once", "once", frozenset({CALENDAR_READONLY}), NoSettings,
                description="manual Calendar sync of a calendar and time window",
            ),
        },
        revoke_grant="worker.providers.google.oauth:revoke_grant",
    )
)
