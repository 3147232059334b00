"""`sync_inbox_once`: stage one folder's messages in a date window, up to a maximum; the live
cursors are never touched. Progress is kept in the run's own row (the sync core's once loop)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from worker.providers.microsoft.mail.api import FOLDER, MESSAGE, MailApi
from worker.providers.microsoft.mail.messages import FolderBook
from worker.store.staging import RawObject
from worker.sync.cursors import OnceProgress
from worker.sync.loops import OncePage, run_once
from worker.sync.stager import PageStager

CAPABILITY = "sync_inbox_once"
PAGE = 100


class MailOnceParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    folder: str = "inbox"
    after: date | None = None
    before: date | None = None
    max: int | None = Field(default=None, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _window(self):
        if not self.folder.strip() or "/" in self.folder:
            raise ValueError("folder is a well-known name (inbox, sentitems, ...) or a folder id")
        if self.after and self.before and self.after >= self.before:
            raise ValueError("after must be before before")
        return self

    def graph_filter(self) -> str | None:
        parts = []
        if self.after:
            parts.append(f"receivedDateTime ge {self.after.isoformat()}T00:00:00Z")
        if self.before:
            parts.append(f"receivedDateTime lt {self.before.isoformat()}T00:00:00Z")
        return " and ".join(parts) or None


async def sync_inbox_once(ctx, params: MailOnceParams, run_id: str) -> dict:
    api = MailApi(ctx.client, ctx.ms.page_size)
    book = FolderBook(api)

    async def fetch(progress: OnceProgress, remaining: int | None) -> OncePage:
        top = min(PAGE, remaining or PAGE)
        page = await api.list_messages(params.folder, link=progress.pageToken, filter_=params.graph_filter(), top=top)
        listed = [m for m in page.get("value") or [] if isinstance(m, dict) and m.get("id")][:remaining]
        objects = [RawObject(m["id"], m) for m in listed]
        return OncePage(objects, listed=len(listed), next_token=page.get("@odata.nextLink"),
                        before=[(FOLDER, await book.records(objects))],
                        estimate=page.get("@odata.count"))

    stager = PageStager(ctx, CAPABILITY, stream=f"run:{run_id}", resource=MESSAGE)
    return (await run_once(stager, OnceProgress, fetch, max_items=params.max)).dump()
