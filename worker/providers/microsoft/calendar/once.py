"""`sync_calendar_once`: stage one calendar's instances (and their series) in a window; the live
cursors are untouched. Progress is kept in the run's own row (the sync core's once loop)."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

from pydantic import BaseModel, ConfigDict, Field, model_validator

from worker.providers.microsoft.calendar.api import EVENT, CalendarApi, stamp
from worker.providers.microsoft.calendar.events import SeriesBook, to_objects
from worker.providers.microsoft.capabilities import DEFAULT_CALENDAR
from worker.sync.cursors import OnceProgress
from worker.sync.loops import OncePage, run_once
from worker.sync.stager import PageStager

CAPABILITY = "sync_calendar_once"


class CalendarOnceParams(BaseModel):
    """`--param calendar=C --param from=DATE --param to=DATE`; `to` is exclusive."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    calendar: str = DEFAULT_CALENDAR
    from_: date = Field(alias="from")
    to: date

    @model_validator(mode="after")
    def _window(self):
        if not self.calendar.strip() or "/" in self.calendar:
            raise ValueError("calendar is a calendar id or `default`")
        if self.from_ >= self.to:
            raise ValueError("from must be before to")
        return self

    def bounds(self) -> tuple[str, str]:
        return (stamp(datetime.combine(self.from_, time(), timezone.utc)),
                stamp(datetime.combine(self.to, time(), timezone.utc)))


class CalendarOnceProgress(OnceProgress):
    calendar: str | None = None


async def sync_calendar_once(ctx, params: CalendarOnceParams, run_id: str) -> dict:
    api = CalendarApi(ctx.client, ctx.ms.page_size)
    book = SeriesBook(api)
    start, end = params.bounds()

    async def fetch(progress: CalendarOnceProgress, remaining: int | None) -> OncePage:
        page = await api.view(progress.calendar, start, end, link=progress.pageToken, fields="")
        items = page.get("value") or []
        fetched = await to_objects(api, book, items)
        return OncePage(fetched.objects, listed=len(items), next_token=page.get("@odata.nextLink"),
                        failures=fetched.failures)

    stager = PageStager(ctx, CAPABILITY, stream=f"run:{run_id}", resource=EVENT)
    calendar_id = (await api.calendar(params.calendar))["id"]
    return (await run_once(stager, CalendarOnceProgress, fetch, defaults={"calendar": calendar_id})).dump()
