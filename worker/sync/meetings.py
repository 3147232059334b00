"""What the CRM may ask of a meeting (create, update, cancel), checked the same for every calendar provider.

Each provider turns the validated fields into its own event resource and performs the action
exactly once; a change made at the provider since we last saw the event is a `MeetingConflict`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from worker.capabilities import validation_problems
from worker.errors import BadInput, IntegrationsError

ACTIONS = ("create_meeting", "update_meeting", "cancel_meeting")


class MeetingConflict(IntegrationsError):
    """Someone changed the event at the provider since we last saw it (HTTP 412): nothing was overwritten."""

    def __init__(self, provider: str, event: str, ours: dict, theirs: dict, etag_field: str = "etag") -> None:
        super().__init__(f"meeting {event} was changed in {provider} since we last saw it (etag "
                         f"{ours.get(etag_field)} → {theirs.get(etag_field)}); not overwritten")
        self.event, self.ours, self.theirs = event, ours, theirs


class MeetingFields(BaseModel):
    """What the CRM may set on a meeting; times are RFC 3339 (with `time_zone`) or all-day dates."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    description: str | None = None
    location: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    start_date: date | None = None
    end_date: date | None = None  # exclusive, like Google; defaults to the day after start_date
    time_zone: str | None = None
    attendees: list[str] | None = None
    conference: bool = False  # ask Google for a Meet link
    send_updates: Literal["all", "externalOnly", "none"] | None = None

    @model_validator(mode="after")
    def _times(self):
        if (self.start or self.end) and (self.start_date or self.end_date):
            raise ValueError("give start/end times or all-day dates, not both")
        if bool(self.start) != bool(self.end):
            raise ValueError("start and end go together")
        if self.start and self.end <= self.start:
            raise ValueError("end must be after start")
        if self.end_date and not self.start_date:
            raise ValueError("end_date needs start_date")
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValueError("end_date must be after start_date (it is exclusive)")
        if self.start and self.start.tzinfo is None and not self.time_zone:
            raise ValueError("times without an offset need time_zone")
        return self


def validate_meeting_request(action: str, request: dict) -> MeetingFields:
    """The request's fields, validated (BadInput, exit 2, with every problem named)."""
    if action not in ACTIONS:
        raise BadInput(f"unknown meeting action {action!r}")
    fields = {k: v for k, v in request.items() if k not in ("calendar_id", "event_id")}
    try:
        validated = MeetingFields.model_validate(fields)
    except ValidationError as error:
        raise BadInput(f"invalid {action}: {validation_problems(error, 'meeting')}") from None
    if action == "create_meeting" and not (validated.start or validated.start_date):
        raise BadInput("create_meeting needs start/end or start_date")
    if action != "create_meeting" and not request.get("event_id"):
        raise BadInput(f"{action} needs the event id")
    return validated
