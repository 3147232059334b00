"""Twilio's capability names, its one "scope" and the settings models of its capabilities.

Twilio has no OAuth scopes: an API key opens the whole account's REST API. The connection's one
granted "scope" is `api_key` — recorded when a key was checked against the account and stored —
so a connection created without credentials shows its capabilities awaiting consent (a key).
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from worker.capabilities import CapabilitySettings

API_KEY = "api_key"
SYNC_SMS_LIVE = "sync_sms_live"
SYNC_CALLS_LIVE = "sync_calls_live"
SEND_SMS = "send_sms"

MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")


class WindowSettings(CapabilitySettings):
    """A live sync lists a date window: the first run `backfill_days` back, each later run from the
    newest date it saw minus `overlap_minutes` (a message's status and price, a call's end and
    duration, change after the date it is listed by)."""

    backfill_days: int = Field(default=30, ge=0, le=3650, description="how far back the first sync lists")
    overlap_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60,
                                 description="how far before the newest date seen each later run lists again")


class SmsLiveSettings(WindowSettings):
    pass


class CallsLiveSettings(WindowSettings):
    pass


class SendSmsSettings(CapabilitySettings):
    """The sender when a request names none: a number of the account, or a Messaging Service."""

    from_number: str | None = Field(default=None, description="E.164 number of the account (--from overrides it)")
    messaging_service_sid: str | None = Field(default=None, description="MG… Messaging Service that picks the sender")

    @field_validator("from_number")
    @classmethod
    def _from(cls, value: str | None) -> str | None:
        if value is None:
            return None
        import phonenumbers

        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise ValueError("from_number is an E.164 phone number, e.g. +14155550100")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    @field_validator("messaging_service_sid")
    @classmethod
    def _service(cls, value: str | None) -> str | None:
        if value is not None and not MESSAGING_SERVICE_SID.match(value):
            raise ValueError("messaging_service_sid is MG followed by 32 hex digits")
        return value

    @model_validator(mode="after")
    def _one_sender(self):
        if self.from_number and self.messaging_service_sid:
            raise ValueError("give from_number or messaging_service_sid, not both")
        return self
