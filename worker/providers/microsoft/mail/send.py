"""`send_email` through Graph exactly once: a draft carrying our own Message-ID, then `/send`.

`sendMail` answers 202 with no id, so a send whose answer was lost could not be found again.
Instead the message is created as a draft with an `internetMessageId` we chose (writable while it
is a draft), and sent; Graph keeps its immutable id when it moves to Sent Items. The attempt
counter is committed before calling Graph: a retried job (the worker died while Graph held the
request) first looks for that Message-ID in Sent Items — found: recorded, not sent again — then in
Drafts — found: that draft is sent, not a second one created.
"""

from __future__ import annotations

from email.utils import make_msgid
from typing import Any

from worker.errors import BadInput
from worker.providers.microsoft.client.errors import AccessDenied, BadRequest, Conflict, NotFound, Unauthorized
from worker.providers.microsoft.context import microsoft_context
from worker.providers.microsoft.mail.api import FOLDER, MESSAGE, MailApi
from worker.providers.microsoft.mail.messages import FolderBook
from worker.store import query
from worker.store.staging import RawObject, astage_records
from worker.sync.actions import record_outbound, run_action_job

CAPABILITY = "send_email"


def new_message_id(account: str) -> str:
    return make_msgid(idstring="crm", domain=account.rsplit("@", 1)[-1] if "@" in account else "integrations.local")


async def prepare_send(aconn, connection: dict, request: dict[str, Any],
                       idempotency_key: str | None = None) -> tuple[dict, bool]:
    """Validate and record the request (the capability and its scopes were checked by worker/api.py)."""
    if not request.get("to"):
        raise BadInput("at least one --to recipient is required")
    action = "create_draft" if request.get("draft") else "send_email"
    return await record_outbound(aconn, connection, action, request, idempotency_key,
                                 new_message_id(connection["account_id"]))


def _recipients(addresses: list[str] | None) -> list[dict]:
    return [{"emailAddress": {"address": a}} for a in addresses or []]


def graph_message(request: dict, message_id: str) -> dict:
    """The request as a Graph message (HTML body when given, else text; attachments inline)."""
    html = request.get("html")
    message = {
        "subject": request.get("subject", ""),
        "body": {"contentType": "html" if html else "text", "content": html or request.get("text", "")},
        "toRecipients": _recipients(request.get("to")),
        "ccRecipients": _recipients(request.get("cc")),
        "bccRecipients": _recipients(request.get("bcc")),
        "internetMessageId": message_id,
    }
    attachments = [{"@odata.type": "#microsoft.graph.fileAttachment", "name": a["filename"],
                    "contentType": a.get("content_type") or "application/octet-stream", "contentBytes": a["data_b64"]}
                   for a in request.get("attachments") or []]
    if attachments:
        message["attachments"] = attachments
    return message


async def perform_send(ctx, outbound_id) -> dict:
    api = MailApi(ctx.client, ctx.ms.page_size)
    async with ctx.db() as conn:
        row = await (await conn.execute(query("outbound.start_attempt"), {"id": outbound_id})).fetchone()
    if row is None:  # finished already
        async with ctx.db() as conn:
            return await (await conn.execute(query("outbound.get"), {"id": outbound_id})).fetchone()
    request, message_id = row["request"], row["message_id_header"]
    draft = None
    if row["attempts"] > 1:
        sent = await api.find("sentitems", message_id)
        if sent and row["action"] == "send_email":
            return await _finish(ctx, api, row, sent[0])
        drafts = await api.find("drafts", message_id)
        draft = drafts[0] if drafts else None
    if draft is None:
        message = graph_message(request, message_id)
        if request.get("reply_to_message"):
            try:
                draft = await api.create_reply_draft(request["reply_to_message"], message)
            except NotFound:
                raise BadInput(f"cannot reply: message {request['reply_to_message']} not found in this mailbox") from None
        else:
            draft = await api.create_draft(message)
    if row["action"] == "create_draft":
        return await _finish(ctx, api, row, await api.message(draft["id"]))
    await api.send_draft(draft["id"])
    return await _finish(ctx, api, row, await api.message(draft["id"]))  # the immutable id survives the send


async def _finish(ctx, api: MailApi, row: dict, message: dict) -> dict:
    """Record the outcome and stage the message like any other, so it reaches the CRM timeline."""
    objects = [RawObject(message["id"], message)]
    folders = await FolderBook(api).records(objects)
    async with ctx.db() as conn, conn.transaction():
        await astage_records(conn, ctx.connection_id, ctx.tenant_id, CAPABILITY, FOLDER, folders)
        await astage_records(conn, ctx.connection_id, ctx.tenant_id, CAPABILITY, MESSAGE, objects)
        return await (await conn.execute(query("outbound.done"), {
            "id": row["id"], "provider_id": message["id"], "thread_id": message.get("conversationId")})).fetchone()


# Graph refuses the request itself: retrying it unchanged cannot succeed
REFUSED = (BadInput, BadRequest, Conflict, NotFound)


def _waits_for_reconnect(error: Exception) -> bool:
    return isinstance(error, (Unauthorized, AccessDenied))


async def run_send_job(pool, connection_id, outbound_id, final_attempt: bool) -> dict:
    """The `microsoft:send_email` task body (the row's states: worker/sync/actions.py)."""
    async def perform() -> dict:
        async with microsoft_context(pool, connection_id, CAPABILITY) as ctx:
            return await perform_send(ctx, outbound_id)

    return await run_action_job(pool, connection_id, outbound_id, capability=CAPABILITY, final_attempt=final_attempt,
                                perform=perform, waits_for_reconnect=_waits_for_reconnect, refused=REFUSED,
                                provider_label="Microsoft")
