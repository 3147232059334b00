"""`sync_inbox_once`: stage the messages matching a query; the live cursor is never touched.

Progress (listed, staged, done) is kept in the run's own sync_state row (stream = `run:<id>`), so
`integrations sync once --wait` can draw a progress bar and a killed run resumes at its page.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from worker.providers.google.gmail.api import GmailApi
from worker.providers.google.gmail.live import PageStager, fetch_objects

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
    stager = PageStager(ctx, CAPABILITY, stream=f"run:{run_id}")
    cursor = await stager.load_cursor()
    if cursor.get("done"):
        return cursor
    cursor = {"pageToken": None, "listed": 0, "staged": 0, "done": False, **cursor}
    while True:
        remaining = None if params.max is None else params.max - cursor["listed"]
        if remaining is not None and remaining <= 0:
            break
        page = await api.list_messages(q=params.gmail_query(), page_token=cursor["pageToken"],
                                       include_spam_trash=params.include_spam_trash,
                                       max_results=min(500, remaining or 500))
        ids = [m["id"] for m in page.get("messages", [])][:remaining]
        fetched = await fetch_objects(api, ids, gone_is_tombstone=False)
        cursor = {**cursor, "pageToken": page.get("nextPageToken"), "listed": cursor["listed"] + len(ids),
                  "staged": cursor["staged"] + len(fetched.objects), "failed": cursor.get("failed", 0)
                  + len(fetched.failures), "estimate": page.get("resultSizeEstimate")}
        last = not cursor["pageToken"] or (params.max is not None and cursor["listed"] >= params.max)
        # the last page and `done` commit together
        await stager.commit(fetched.objects, {**cursor, "done": last}, failures=fetched.failures,
                            bodies=fetched.bodies)
        if last:
            return {**cursor, "done": True}
    cursor = {**cursor, "done": True}
    await stager.commit([], cursor)
    return cursor
