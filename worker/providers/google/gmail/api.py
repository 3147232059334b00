"""Gmail v1 methods we call, each charged the units of the quota table in force (see quota_tables)."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from worker.providers.google.client.errors import GoogleError, MalformedResponse
from worker.providers.google.client.http import BatchCall
from worker.providers.google.client.quota_tables import table_in_force

BATCH_SIZE = 50  # Google recommends at most 50 calls per batch


class GmailApi:
    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.base = ctx.endpoints.gmail + "/users/me"
        self.units = table_in_force(ctx.settings).units

    async def profile(self) -> dict:
        return _expect(await self.ctx.client.call("GET", self.base + "/profile", units=self.units["getProfile"]),
                       "historyId", "users.getProfile")

    async def list_messages(self, *, label: str | None = None, q: str | None = None, page_token: str | None = None,
                            include_spam_trash: bool = False, max_results: int = 500) -> dict:
        params = {"maxResults": max_results, "includeSpamTrash": str(include_spam_trash).lower()}
        if label:
            params["labelIds"] = label
        if q:
            params["q"] = q
        if page_token:
            params["pageToken"] = page_token
        body = await self.ctx.client.call("GET", self.base + "/messages", units=self.units["messages.list"], params=params)
        if not isinstance(body, dict) or not isinstance(body.get("messages", []), list):
            raise MalformedResponse(200, "malformedList", "messages.list answered an unexpected shape")
        return body

    async def history(self, start_history_id: str, page_token: str | None = None) -> dict:
        params = {"startHistoryId": start_history_id, "maxResults": 500}
        if page_token:
            params["pageToken"] = page_token
        body = await self.ctx.client.call("GET", self.base + "/history", units=self.units["history.list"], params=params)
        return _expect(body, "historyId", "history.list")

    async def get_messages(self, ids: list[str], fmt: str = "full") -> dict[str, dict | GoogleError]:
        """messages.get?format=`fmt` (full, or minimal: ids, labels, historyId, internalDate and
        sizeEstimate without the payload; same units) for many ids through batch requests of
        BATCH_SIZE."""
        path = urlsplit(self.base).path
        out: dict[str, dict | GoogleError] = {}
        for start in range(0, len(ids), BATCH_SIZE):
            chunk = ids[start:start + BATCH_SIZE]
            calls = [BatchCall("GET", f"{path}/messages/{quote(i, safe='')}?format={fmt}", self.units["messages.get"])
                     for i in chunk]
            for message_id, result in zip(chunk, await self.ctx.client.batch(self.ctx.endpoints.gmail_batch, calls)):
                if isinstance(result, dict) and result.get("id") != message_id:
                    result = MalformedResponse(200, "malformedMessage", f"batch answer for {message_id} has no id")
                out[message_id] = result
        return out

    async def get_attachments(self, refs: list[tuple[str, str]]) -> dict[tuple[str, str], dict | GoogleError]:
        """messages.attachments.get for (message id, attachment id) pairs, through batches."""
        path = urlsplit(self.base).path
        out: dict[tuple[str, str], dict | GoogleError] = {}
        for start in range(0, len(refs), BATCH_SIZE):
            chunk = refs[start:start + BATCH_SIZE]
            calls = [BatchCall("GET", f"{path}/messages/{quote(m, safe='')}/attachments/{quote(a, safe='')}",
                               self.units["attachments.get"]) for m, a in chunk]
            for ref, result in zip(chunk, await self.ctx.client.batch(self.ctx.endpoints.gmail_batch, calls)):
                if isinstance(result, dict) and "data" not in result:
                    result = MalformedResponse(200, "malformedAttachment", f"attachment {ref[1]} has no data")
                out[ref] = result
        return out

    async def send(self, raw_b64: str, thread_id: str | None) -> dict:
        body = {"raw": raw_b64, **({"threadId": thread_id} if thread_id else {})}
        return _expect(await self.ctx.client.call("POST", self.base + "/messages/send", units=self.units["messages.send"],
                                                  json_body=body, idempotent=False), "id", "messages.send")

    async def create_draft(self, raw_b64: str, thread_id: str | None) -> dict:
        message = {"raw": raw_b64, **({"threadId": thread_id} if thread_id else {})}
        # not idempotent: a draft created before a timeout must not be created again in-process
        return _expect(await self.ctx.client.call("POST", self.base + "/drafts", units=self.units["drafts.create"],
                                                  json_body={"message": message}, idempotent=False),
                       "id", "drafts.create")


def _expect(body, key: str, method: str) -> dict:
    if not isinstance(body, dict) or key not in body:
        raise MalformedResponse(200, "malformedResponse", f"{method} answered without {key!r}")
    return body
