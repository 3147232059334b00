"""Twilio's REST API 2010-04-01 as the provider uses it: the account, list pages, one object, a create.

Messages and Calls are listed the same way — newest first, filtered by a date (`DateSent>=` /
`StartTime>=`, on or after, sent as `YYYY-MM-DDTHH:MM:SSZ`), paged through `next_page_uri` — so
one `Resource` describes each. A listed object is staged exactly as the list returns it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import quote

from worker.providers.twilio.client.errors import MalformedResponse
from worker.providers.twilio.client.http import TwilioClient

API_VERSION = "/2010-04-01"
MESSAGE = "twilio.message"
CALL = "twilio.call"


@dataclass(frozen=True)
class Resource:
    path: str               # `Messages`: the collection under the account
    list_key: str           # the page's list (`messages`)
    date_filter: str        # the list filter on the date it is ordered by (`DateSent`)
    date_field: str         # that date in an object (`date_sent`)
    resource_type: str      # raw_records.resource_type
    open_statuses: tuple[str, ...]  # statuses that still change without moving the date it is listed by


# a queued, scheduled or accepted message has no date_sent yet: it is not in a DateSent window
MESSAGES = Resource("Messages", "messages", "DateSent", "date_sent", MESSAGE,
                    ("queued", "accepted", "scheduled", "sending", "receiving"))
# a call in progress is listed by its start; its end, duration and price come later
CALLS = Resource("Calls", "calls", "StartTime", "start_time", CALL, ("queued", "ringing", "in-progress"))


def parse_date(value) -> datetime | None:
    """An RFC 2822 date as Twilio writes them ("Thu, 30 Jul 2015 20:12:31 +0000"); None when absent
    or unreadable."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def filter_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def segment(value: str) -> str:
    return quote(value, safe="")


class TwilioApi:
    def __init__(self, client: TwilioClient, account_sid: str, page_size: int = 1000) -> None:
        self.client, self.account, self.page_size = client, account_sid, page_size

    def _path(self, suffix: str = "") -> str:
        return f"{API_VERSION}/Accounts/{segment(self.account)}{suffix}"

    async def account_resource(self) -> dict:
        return await self.client.call("GET", self._path(".json"))

    async def clock(self) -> datetime | None:
        """Twilio's clock now (the Date header of the account resource's answer), to the second."""
        return await self.client.clock(self._path(".json"))

    async def list_page(self, resource: Resource, *, uri: str | None = None, since: datetime | None = None,
                        filters: dict | None = None, page_size: int | None = None) -> dict:
        """The page behind a `next_page_uri`, or the first page of objects dated on or after `since`."""
        if uri:
            page = await self.client.call("GET", uri)
        else:
            params = {**(filters or {}), "PageSize": str(page_size or self.page_size)}
            if since is not None:
                params[f"{resource.date_filter}>"] = filter_time(since)
            page = await self.client.call("GET", self._path(f"/{resource.path}.json"), params=params)
        if not isinstance(page, dict) or not isinstance(page.get(resource.list_key), list):
            raise MalformedResponse(200, None, f"a {resource.path} page has no `{resource.list_key}` list")
        return page

    @staticmethod
    def items(resource: Resource, page: dict) -> list[dict]:
        return [o for o in page[resource.list_key] if isinstance(o, dict) and isinstance(o.get("sid"), str)]

    async def fetch(self, resource: Resource, sid: str) -> dict:
        return await self.client.call("GET", self._path(f"/{resource.path}/{segment(sid)}.json"))

    async def create_message(self, form: dict) -> dict:
        """POST a message; never retried blindly (Twilio has no idempotency key for it)."""
        return await self.client.call("POST", self._path("/Messages.json"), data=form, idempotent=False)
