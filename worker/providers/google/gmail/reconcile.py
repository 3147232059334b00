"""Gmail reconcile: `messages.list` ids of the synced labels (5 units per 500 ids) against
raw_heads and product.email_mailboxes; the comparison itself is worker/sync/reconcile.py."""

from __future__ import annotations

from worker.providers.google.capabilities import InboxLiveSettings
from worker.providers.google.client.errors import NotFound
from worker.providers.google.gmail.api import GmailApi
from worker.providers.google.gmail.messages import BODY_RESOURCE, RESOURCE, fetch_bodies, in_scope, newer_than_query
from worker.store.reads import normalized_mailbox_messages, stream_staged
from worker.store.staging import RawObject
from worker.sync.stager import PageStager

CAPABILITY = "sync_inbox_live"


class InboxReconciler:
    capability = CAPABILITY
    normalized_per_connection = True

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.settings = InboxLiveSettings.model_validate(ctx.settings_of(CAPABILITY))
        self.api = GmailApi(ctx)

    async def provider_ids(self) -> dict[str, str]:
        ids: dict[str, str] = {}
        for label in self.settings.labels:
            token = None
            while True:
                page = await self.api.list_messages(label=label, q=newer_than_query(self.settings), page_token=token,
                                                    include_spam_trash=self.settings.include_spam_trash)
                ids.update((m["id"], m["id"]) for m in page.get("messages", []))
                token = page.get("nextPageToken")
                if not token:
                    break
        return ids

    async def staged_ids(self) -> set[str]:
        async with self.ctx.db() as conn:
            return {external_id async for external_id, labels, _ in stream_staged(conn, self.ctx.connection_id, RESOURCE)
                    if in_scope(labels, self.settings)}

    async def normalized_keys(self) -> set[str] | None:
        async with self.ctx.db() as conn:
            rows = await normalized_mailbox_messages(conn, self.ctx.connection_id)
        if rows is None:
            return None
        return {r["provider_message_id"] for r in rows if in_scope(r["labels"], self.settings)}

    async def repair(self, ids: set[str]) -> int:
        """Fetch each id and stage what the provider holds now: the message (missing, or relabelled
        out of scope) or a tombstone (gone)."""
        stager = PageStager(self.ctx, CAPABILITY, resource=RESOURCE)
        ordered = sorted(ids)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start:start + 500]
            await stager.begin_fetch()
            outcome = await self.api.get_messages(chunk)
            objects, failures = [], []
            for message_id in chunk:
                result = outcome[message_id]
                if isinstance(result, NotFound):
                    objects.append(RawObject(message_id, {"id": message_id}, is_deleted=True))
                elif isinstance(result, Exception):
                    failures.append((message_id, str(result)))
                else:
                    objects.append(RawObject(message_id, result))
            await stager.stage_page(objects, None, failures=failures,
                                    before=[(BODY_RESOURCE, await fetch_bodies(self.api, objects))])
        return stager.staged
