"""`sync_calendar_once`: stage one calendar's events in a time window; the live cursors are untouched.

The loop is the sync core's once loop: progress lives in the run's own sync_state row
(capability `sync_calendar_once`, stream `run:<id>`), so a killed run resumes at its page and a
finished one is not repeated.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone

from pydantic import BaseModel, ConfigDict, Field, model_validator

from worker.providers.google.calendar import live
from worker.providers.google.calendar.api import RESOURCE, CalendarApi
from worker.sync.cursors import OnceProgress
from worker.sync.loops import OncePage, run_once
from worker.sync.stager import PageStager

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


class CalendarOnceProgress(OnceProgress):
    calendar: str | None = None


async def sync_calendar_once(ctx, params: CalendarOnceParams, run_id: str) -> dict:
    api = CalendarApi(ctx)
    calendar_id = api.resolve(params.calendar)

    async def fetch(progress: CalendarOnceProgress, remaining: int | None) -> OncePage:
        page = await api.list_events(calendar_id, timeMin=params.time_min(), timeMax=params.time_max(),
                                     singleEvents=params.expand_recurring, maxResults=live.PAGE_SIZE,
                                     pageToken=progress.pageToken)
        items = page.get("items", [])
        return OncePage(live.to_objects(calendar_id, items), listed=len(items), next_token=page.get("nextPageToken"))

    stager = PageStager(ctx, CAPABILITY, stream=f"run:{run_id}", resource=RESOURCE)
    return (await run_once(stager, CalendarOnceProgress, fetch, defaults={"calendar": calendar_id})).dump()
