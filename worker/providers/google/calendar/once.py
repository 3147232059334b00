"""`sync_calendar_once`: stage one calendar's events in a time window; the live cursors are untouched.

Progress lives in the run's own sync_state row (capability `sync_calendar_once`, stream
`run:<id>`), so a killed run resumes at its page and a finished one is not repeated.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone

from pydantic import BaseModel, ConfigDict, Field, model_validator

from worker.providers.google.calendar.api import RESOURCE, CalendarApi
from worker.providers.google.calendar.live import PAGE_SIZE, to_objects
from worker.providers.google.gmail.live import PageStager

CAPABILITY = "sync_calendar_once"


class CalendarOnceParams(BaseModel):
    """`--calendar C --from DATE --to DATE [--expand-recurring]`; `to` is exclusive."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    calendar: str = "primary"
    from_: date = Field(alias="from")
    to: date
    expand_recurring: bool = False

    @model_validator(mode="after")
    def _window(self):
        if not self.calendar.strip():
            raise ValueError("calendar must not be blank")
        if self.from_ >= self.to:
            raise ValueError("--from must be before --to")
        return self

    def time_min(self) -> str:
        return datetime.combine(self.from_, time(), timezone.utc).isoformat().replace("+00:00", "Z")

    def time_max(self) -> str:
        return datetime.combine(self.to, time(), timezone.utc).isoformat().replace("+00:00", "Z")


async def sync_calendar_once(ctx, params: CalendarOnceParams, run_id: str) -> dict:
    api = CalendarApi(ctx)
    calendar_id = api.resolve(params.calendar)
    stager = PageStager(ctx, CAPABILITY, stream=f"run:{run_id}")
    cursor = await stager.load_cursor()
    if cursor.get("done"):
        return cursor
    cursor = {"calendar": calendar_id, "pageToken": None, "listed": 0, "done": False, **cursor}
    while True:
        page = await api.list_events(calendar_id, timeMin=params.time_min(), timeMax=params.time_max(),
                                     singleEvents=params.expand_recurring, maxResults=PAGE_SIZE,
                                     pageToken=cursor["pageToken"])
        items = page.get("items", [])
        cursor = {**cursor, "pageToken": page.get("nextPageToken"), "listed": cursor["listed"] + len(items)}
        if not cursor["pageToken"]:
            cursor["done"] = True
        await stager.commit(to_objects(calendar_id, items), cursor, resource=RESOURCE)
        if cursor["done"]:
            return {**cursor, "staged": stager.staged}
