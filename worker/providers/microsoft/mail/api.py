"""Outlook mail through Graph: folders, per-folder delta, messages fetched whole in `$batch`es.

Delta pages carry only ids (`$select=id`): each listed message is then read whole with the fields
the product needs — `internetMessageHeaders` (In-Reply-To, References) is only returned when
selected — and that answer is what is staged as `outlook.message`.
"""

from __future__ import annotations

from urllib.parse import quote

from worker.providers.microsoft.client.errors import GraphError
from worker.providers.microsoft.client.http import GraphClient, prefer

MESSAGE = "outlook.message"
FOLDER = "outlook.mail_folder"
MESSAGE_FIELDS = ("id,createdDateTime,lastModifiedDateTime,receivedDateTime,sentDateTime,internetMessageId,"
                  "internetMessageHeaders,subject,bodyPreview,body,from,sender,toRecipients,ccRecipients,"
                  "bccRecipients,replyTo,conversationId,parentFolderId,categories,isDraft,isRead,hasAttachments,"
                  "importance")
FOLDER_FIELDS = "id,displayName,parentFolderId"


def segment(value: str) -> str:
    return quote(value, safe="")


class MailApi:
    def __init__(self, client: GraphClient, page_size: int = 50) -> None:
        self.client, self.page_size = client, page_size

    async def folder(self, folder: str) -> dict:
        return await self.client.call("GET", f"/me/mailFolders/{segment(folder)}", params={"$select": FOLDER_FIELDS})

    async def folders(self, ids: list[str]) -> dict[str, dict | GraphError]:
        answers = await self.client.batch([{"url": f"/me/mailFolders/{segment(i)}?$select={FOLDER_FIELDS}"}
                                           for i in ids])
        return dict(zip(ids, answers))

    async def delta(self, folder_id: str | None = None, link: str | None = None) -> dict:
        """The first delta page of a folder, or the page behind a nextLink / deltaLink."""
        headers = prefer(f"odata.maxpagesize={self.page_size}")
        if link:
            return await self.client.call("GET", link, headers=headers)
        return await self.client.call("GET", f"/me/mailFolders/{segment(folder_id)}/messages/delta",
                                      params={"$select": "id"}, headers=headers)

    async def messages(self, ids: list[str]) -> dict[str, dict | GraphError]:
        """Each message whole (or its error), in `$batch`es of 20."""
        answers = await self.client.batch([{"url": f"/me/messages/{segment(i)}?$select={MESSAGE_FIELDS}"}
                                           for i in ids])
        return dict(zip(ids, answers))

    async def list_messages(self, folder: str, *, link: str | None = None, filter_: str | None = None,
                            top: int = 100, fields: str = MESSAGE_FIELDS) -> dict:
        """A folder's messages, newest first (a manual sync, reconcile); follow `@odata.nextLink`."""
        if link:
            return await self.client.call("GET", link)
        params = {"$select": fields, "$top": str(top), "$orderby": "receivedDateTime desc"}
        if filter_:
            params["$filter"] = filter_
        return await self.client.call("GET", f"/me/mailFolders/{segment(folder)}/messages", params=params)

    async def message(self, message_id: str) -> dict:
        return await self.client.call("GET", f"/me/messages/{segment(message_id)}", params={"$select": MESSAGE_FIELDS})

    async def find(self, folder: str, internet_message_id: str) -> list[dict]:
        """Messages of a folder carrying our Message-ID (the exactly-once lookup of a send)."""
        quoted = internet_message_id.replace("'", "''")
        page = await self.client.call("GET", f"/me/mailFolders/{segment(folder)}/messages", params={
            "$filter": f"internetMessageId eq '{quoted}'", "$select": MESSAGE_FIELDS, "$top": "5"})
        return [m for m in page.get("value") or [] if isinstance(m, dict) and m.get("id")]

    async def create_draft(self, message: dict) -> dict:
        return await self.client.call("POST", "/me/messages", json_body=message, idempotent=False)

    async def create_reply_draft(self, message_id: str, message: dict) -> dict:
        return await self.client.call("POST", f"/me/messages/{segment(message_id)}/createReply",
                                      json_body={"message": message}, idempotent=False)

    async def send_draft(self, draft_id: str) -> None:
        await self.client.call("POST", f"/me/messages/{segment(draft_id)}/send", expect_json=False, idempotent=False)
