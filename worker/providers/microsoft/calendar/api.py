"""Outlook calendars through Graph: calendars, the calendar-view delta, events read and written.

v1.0 offers event delta only on a calendar view (a window of time), listing instances: single
events, occurrences and exceptions of series. Series masters are read by id, so normalization can
key every instance by its series' iCalUId plus its original start, as it does Google's.
"""

from __future__ import annotations

from datetime import datetime

from worker.providers.microsoft.capabilities import DEFAULT_CALENDAR
from worker.providers.microsoft.client.errors import GraphError
from worker.providers.microsoft.client.http import GraphClient, prefer
from worker.providers.microsoft.mail.api import segment

EVENT = "outlook.event"
# event times in UTC (Graph's default, asked for explicitly): a mailbox's Windows time zone names
# would otherwise reach staging, where PostgreSQL knows only IANA names
UTC = 'outlook.timezone="UTC"'
CALENDAR_FIELDS = "id,name,isDefaultCalendar,canEdit,owner"


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def calendar_path(calendar: str) -> str:
    return "/me/calendar" if calendar in (DEFAULT_CALENDAR, "primary") else f"/me/calendars/{segment(calendar)}"


class CalendarApi:
    def __init__(self, client: GraphClient, page_size: int = 50) -> None:
        self.client, self.page_size = client, page_size

    async def calendar(self, calendar: str) -> dict:
        return await self.client.call("GET", calendar_path(calendar), params={"$select": CALENDAR_FIELDS})

    async def calendars(self) -> list[dict]:
        page = await self.client.call("GET", "/me/calendars", params={"$select": CALENDAR_FIELDS, "$top": "100"})
        found = list(page.get("value") or [])
        while page.get("@odata.nextLink"):
            page = await self.client.call("GET", page["@odata.nextLink"])
            found += page.get("value") or []
        return found

    async def delta(self, calendar_id: str | None = None, start: str | None = None, end: str | None = None,
                    link: str | None = None) -> dict:
        headers = prefer(f"odata.maxpagesize={self.page_size}", UTC)
        if link:
            return await self.client.call("GET", link, headers=headers)
        return await self.client.call("GET", f"/me/calendars/{segment(calendar_id)}/calendarView/delta",
                                      params={"startDateTime": start, "endDateTime": end}, headers=headers)

    async def view(self, calendar_id: str, start: str, end: str, link: str | None = None,
                   fields: str = "id,type,iCalUId,seriesMasterId,isCancelled") -> dict:
        """A calendar view page (a manual sync, reconcile); follow `@odata.nextLink`."""
        if link:
            return await self.client.call("GET", link, headers=prefer(UTC))
        params = {"startDateTime": start, "endDateTime": end, "$top": "200"}
        if fields:
            params["$select"] = fields
        return await self.client.call("GET", f"/me/calendars/{segment(calendar_id)}/calendarView", params=params,
                                      headers=prefer(UTC))

    async def events(self, ids: list[str]) -> dict[str, dict | GraphError]:
        answers = await self.client.batch([{"url": f"/me/events/{segment(i)}", "headers": prefer(UTC)} for i in ids])
        return dict(zip(ids, answers))

    async def event(self, event_id: str) -> dict:
        return await self.client.call("GET", f"/me/events/{segment(event_id)}", headers=prefer(UTC))

    async def create_event(self, calendar_id: str, body: dict) -> dict:
        """`transactionId` in `body` makes a repeated create answer the event the first one made."""
        return await self.client.call("POST", f"/me/calendars/{segment(calendar_id)}/events", json_body=body,
                                      headers=prefer(UTC))

    async def patch_event(self, event_id: str, body: dict, etag: str | None) -> dict:
        headers = {"If-Match": etag, **prefer(UTC)} if etag else prefer(UTC)
        return await self.client.call("PATCH", f"/me/events/{segment(event_id)}", json_body=body, headers=headers)

    async def cancel_event(self, event_id: str, comment: str | None, etag: str | None) -> None:
        headers = {"If-Match": etag} if etag else {}
        await self.client.call("POST", f"/me/events/{segment(event_id)}/cancel", json_body={"comment": comment or ""},
                               headers=headers, expect_json=False)
