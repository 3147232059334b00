"""`sync_inbox_once`: stage the messages matching a query; the live cursor is never touched.

The loop is the sync core's once loop: progress (listed, staged, done) is kept in the run's own
sync_state row (stream `run:<id>`), so `integrations sync once --wait` can draw a progress bar and a
killed run resumes at its page.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from worker.providers.google.gmail.api import GmailApi
from worker.providers.google.gmail.messages import BODY_RESOURCE, RESOURCE, fetch_objects
from worker.sync.cursors import OnceProgress
from worker.sync.loops import OncePage, run_once
from worker.sync.stager import PageStager

CAPABILITY = "sync_inbox_once"


class InboxOnceParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str | None = None
    after: date | None = None
    before: date | None = None
    labels: list[str] = Field(default_factory=list)
    max: int | None = Field(default=None, ge=1, le=1_000_000)
    include_spam_trash: bool = False

    @model_validator(mode="after")
    def _window(self):
        if self.after and self.before and self.after >= self.before:
            raise ValueError("--after must be before --before")
        if any(not label.strip() for label in self.labels):
            raise ValueError("a label cannot be empty")
        return self

    def gmail_query(self) -> str | None:
        parts = [self.query] if self.query else []
        if self.after:
            parts.append(f"after:{self.after:%Y/%m/%d}")
        if self.before:
            parts.append(f"before:{self.before:%Y/%m/%d}")
        parts += [f"label:{label}" for label in self.labels]
        return " ".join(parts) or None


async def sync_inbox_once(ctx, params: InboxOnceParams, run_id: str) -> dict:
    api = GmailApi(ctx)

    async def fetch(progress: OnceProgress, remaining: int | None) -> OncePage:
        page = await api.list_messages(q=params.gmail_query(), page_token=progress.pageToken,
                                       include_spam_trash=params.include_spam_trash,
                                       max_results=min(500, remaining or 500))
        ids = [m["id"] for m in page.get("messages", [])][:remaining]
        fetched = await fetch_objects(api, ids, gone_is_tombstone=False)
        return OncePage(fetched.objects, listed=len(ids), next_token=page.get("nextPageToken"),
                        failures=fetched.failures, before=[(BODY_RESOURCE, fetched.bodies)],
                        estimate=page.get("resultSizeEstimate"))

    stager = PageStager(ctx, CAPABILITY, stream=f"run:{run_id}", resource=RESOURCE)
    return (await run_once(stager, OnceProgress, fetch, max_items=params.max)).dump()
