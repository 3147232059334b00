"""Google's minimal scopes and the settings models of its capabilities (DESIGN.md, "Capabilities")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from worker.capabilities import CapabilitySettings

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
