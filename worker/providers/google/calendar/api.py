"""Calendar v3 calls over the shared GoogleClient (pacing, retries, refresh and error mapping live there)."""

from __future__ import annotations

from urllib.parse import quote

RESOURCE = "calendar.event"


def external_id(calendar_id: str, event_id: str) -> str:
    return f"{calendar_id}/{event_id}"


class CalendarApi:
    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.base = ctx.endpoints.calendar

    def resolve(self, calendar_id: str) -> str:
        """`primary` is the account's own calendar, whose id is the account address."""
        return self.ctx.account if calendar_id == "primary" else calendar_id

    def _events(self, calendar_id: str, event_id: str | None = None) -> str:
        url = f"{self.base}/calendars/{quote(calendar_id, safe='')}/events"
        return url + (f"/{quote(event_id, safe='')}" if event_id else "")

    async def list_calendars(self) -> list[dict]:
        items, token = [], None
        while True:
            params = {"maxResults": 250, **({"pageToken": token} if token else {})}
            page = await self.ctx.client.call("GET", f"{self.base}/users/me/calendarList", units=1, params=params)
            items += page.get("items", [])
            token = page.get("nextPageToken")
            if not token:
                return items

    async def list_events(self, calendar_id: str, **params) -> dict:
        params = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in params.items() if v is not None}
        return await self.ctx.client.call("GET", self._events(calendar_id), units=1, params=params)

    async def get_event(self, calendar_id: str, event_id: str) -> dict:
        return await self.ctx.client.call("GET", self._events(calendar_id, event_id), units=1)

    async def insert_event(self, calendar_id: str, body: dict, params: dict) -> dict:
        return await self.ctx.client.call("POST", self._events(calendar_id), units=1, params=params, json_body=body)

    async def patch_event(self, calendar_id: str, event_id: str, body: dict, params: dict, etag: str | None) -> dict:
        headers = {"If-Match": etag} if etag else {}
        return await self.ctx.client.call("PATCH", self._events(calendar_id, event_id), units=1, params=params,
                                          json_body=body, headers=headers)

    async def delete_event(self, calendar_id: str, event_id: str, params: dict, etag: str | None) -> None:
        headers = {"If-Match": etag} if etag else {}
        await self.ctx.client.call("DELETE", self._events(calendar_id, event_id), units=1, params=params,
                                   headers=headers, expect_json=False)
