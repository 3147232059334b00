"""Outlook mail reconcile: the synced folders' message ids against what is staged in them and what
is normalized; the comparison itself is worker/sync/reconcile.py. Also the settle step of a resync."""

from __future__ import annotations

from worker.providers.microsoft.capabilities import InboxLiveSettings
from worker.providers.microsoft.mail.api import MESSAGE, MailApi
from worker.providers.microsoft.mail.messages import FolderBook, fetch_messages
from worker.store.reads import normalized_mailbox_messages, stream_staged_field
from worker.sync.stager import PageStager

CAPABILITY = "sync_inbox_live"
LIST_PAGE = 1000  # $top of an id-only listing


class MailReconciler:
    capability = CAPABILITY
    normalized_per_connection = True

    def __init__(self, ctx, folders: list[str] | None = None) -> None:
        self.ctx = ctx
        self.folders = folders or InboxLiveSettings.model_validate(ctx.settings_of(CAPABILITY)).folders
        self.api = MailApi(ctx.client, ctx.ms.page_size)
        self._resolved: dict[str, dict] | None = None

    async def resolved(self) -> dict[str, dict]:
        """Folder id → folder, for the configured names (well-known names are resolved by Graph)."""
        if self._resolved is None:
            self._resolved = {}
            for name in self.folders:
                folder = await self.api.folder(name)
                self._resolved[folder["id"]] = folder
        return self._resolved

    async def provider_ids(self) -> dict[str, str]:
        ids: dict[str, str] = {}
        for folder_id in await self.resolved():
            page = await self.api.list_messages(folder_id, top=LIST_PAGE, fields="id")
            while True:
                ids.update((m["id"], m["id"]) for m in page.get("value") or [] if m.get("id"))
                link = page.get("@odata.nextLink")
                if not link:
                    break
                page = await self.api.list_messages(folder_id, link=link)
        return ids

    async def staged_ids(self) -> set[str]:
        folder_ids = set(await self.resolved())
        async with self.ctx.db() as conn:
            return {external_id async for external_id, folder in
                    stream_staged_field(conn, self.ctx.connection_id, MESSAGE, "parentFolderId") if folder in folder_ids}

    async def normalized_keys(self) -> set[str] | None:
        names = {f.get("displayName") for f in (await self.resolved()).values()} | set(await self.resolved())
        async with self.ctx.db() as conn:
            rows = await normalized_mailbox_messages(conn, self.ctx.connection_id)
        if rows is None:
            return None
        return {r["provider_message_id"] for r in rows if names & set(r["labels"] or [])}

    async def repair(self, ids: set[str]) -> int:
        """Stage what Graph holds now for each id: the message (missing, or moved) or a tombstone."""
        stager = PageStager(self.ctx, CAPABILITY, resource=MESSAGE)
        book = FolderBook(self.api)
        ordered = sorted(ids)
        for start in range(0, len(ordered), 200):
            await stager.begin_fetch()
            fetched = await fetch_messages(self.api, book, ordered[start:start + 200])
            await stager.stage_page(fetched.objects, None, failures=fetched.failures, before=fetched.before)
        return stager.staged
