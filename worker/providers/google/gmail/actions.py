"""`send_email` exactly once: an outbound row with an idempotency key, and a Message-ID we choose.

The attempt counter is committed before calling Google. A retried job (the worker died after
Google accepted the message, before we recorded it) first looks the message up by its
Message-ID (`rfc822msgid:`) and records it instead of sending again; that lookup, the reply
headers and staging the sent copy read the mailbox, which is why the capability's scopes include
gmail.readonly.

Every action ends visibly: `done`; `waiting_reauth` while the grant is revoked or lacks a scope
(reconnecting queues it again, see `gmail.tasks.resume_waiting_sends`); or `failed` with the reason when Google
refuses the request for good or the retries run out. The reason is in `last_error`.
"""

from __future__ import annotations

from typing import Any

from worker.errors import BadInput, NotFound
from worker.providers.google.client.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Reauth,
)
from worker.providers.google.client.errors import (
    NotFound as GoogleNotFound,
)
from worker.providers.google.context import google_context
from worker.providers.google.gmail.api import GmailApi
from worker.providers.google.gmail.compose import compose, new_message_id, to_base64url
from worker.providers.google.gmail.messages import BODY_RESOURCE, fetch_objects
from worker.store import query
from worker.store.staging import astage_records
from worker.sync.actions import record_outbound, run_action_job

CAPABILITY = "send_email"


async def prepare_send(aconn, connection: dict, request: dict[str, Any],
                       idempotency_key: str | None = None) -> tuple[dict, bool]:
    """Validate and record the request; returns (row, created) — a known key returns the first row.
    (That send_email is enabled with its scopes granted was checked by the caller, worker/api.py.)"""
    if not request.get("to"):
        raise BadInput("at least one --to recipient is required")
    if request.get("draft") and not (connection["settings"].get(CAPABILITY) or {}).get("drafts"):
        raise BadInput("drafts need the send_email setting drafts=true (and the gmail.compose scope)")
    action = "create_draft" if request.get("draft") else "send_email"
    return await record_outbound(aconn, connection, action, request, idempotency_key,
                                 new_message_id(connection["account_id"]))


async def _reply_headers(api: GmailApi, message_id: str) -> tuple[str | None, str | None, str | None]:
    """In-Reply-To, References and threadId of the message we answer."""
    original = (await api.get_messages([message_id]))[message_id]
    if not isinstance(original, dict):
        raise NotFound(f"cannot reply: message {message_id} not found in this mailbox")
    headers = {h["name"].lower(): h["value"] for h in original.get("payload", {}).get("headers", [])}
    return headers.get("message-id"), headers.get("references"), original.get("threadId")


async def perform_send(ctx, outbound_id) -> dict:
    api = GmailApi(ctx)
    async with ctx.db() as conn:
        row = await (await conn.execute(query("outbound.start_attempt"), {"id": outbound_id})).fetchone()
    if row is None:
        async with ctx.db() as conn:
            return await (await conn.execute(query("outbound.get"), {"id": outbound_id})).fetchone()
    request = row["request"]
    if row["action"] == "send_email" and row["attempts"] > 1:
        found = await api.list_messages(q=f"rfc822msgid:{row['message_id_header']}", include_spam_trash=True)
        if found.get("messages"):
            return await _finish(ctx, api, row, found["messages"][0]["id"], found["messages"][0].get("threadId"))
    in_reply_to = references = thread_id = None
    if request.get("reply_to_message"):
        in_reply_to, references, thread_id = await _reply_headers(api, request["reply_to_message"])
    raw = compose(sender=ctx.account, to=request["to"], cc=request.get("cc"), bcc=request.get("bcc"),
                  subject=request.get("subject", ""), text=request.get("text", ""), html=request.get("html"),
                  attachments=request.get("attachments"), message_id=row["message_id_header"],
                  in_reply_to=in_reply_to, references=references)
    if row["action"] == "create_draft":
        draft = await api.create_draft(to_base64url(raw), thread_id)
        message = draft.get("message", {})
        return await _finish(ctx, api, row, draft["id"], message.get("threadId") or thread_id, stage_id=message.get("id"))
    sent = await api.send(to_base64url(raw), thread_id)
    return await _finish(ctx, api, row, sent["id"], sent.get("threadId"))


async def _finish(ctx, api: GmailApi, row: dict, provider_id: str, thread_id: str | None,
                  stage_id: str | None = None) -> dict:
    """Record the outcome and stage the message like any other, so it reaches the CRM timeline."""
    fetched = await fetch_objects(api, [stage_id or provider_id], gone_is_tombstone=False)
    async with ctx.db() as conn, conn.transaction():
        await astage_records(conn, ctx.connection_id, ctx.tenant_id, CAPABILITY, BODY_RESOURCE, fetched.bodies)
        await astage_records(conn, ctx.connection_id, ctx.tenant_id, CAPABILITY, "gmail.message", fetched.objects)
        return await (await conn.execute(query("outbound.done"), {
            "id": row["id"], "provider_id": provider_id, "thread_id": thread_id})).fetchone()


# Google refuses the request itself: retrying the same request cannot succeed
REFUSED = (BadInput, BadRequest, Conflict, GoogleNotFound)


def _waits_for_reconnect(error: Exception) -> bool:
    """A revoked grant, or a grant without a scope this action needs: a reconnect fixes both."""
    return isinstance(error, Reauth) or (isinstance(error, Forbidden) and error.reason == "insufficientPermissions")


async def run_send_job(pool, connection_id, outbound_id, final_attempt: bool) -> dict:
    """The `google:send_email` task body (the row's states: worker/sync/actions.py)."""
    async def perform() -> dict:
        async with google_context(pool, connection_id, "gmail") as ctx:
            return await perform_send(ctx, outbound_id)

    return await run_action_job(pool, connection_id, outbound_id, capability=CAPABILITY, final_attempt=final_attempt,
                                perform=perform, waits_for_reconnect=_waits_for_reconnect, refused=REFUSED,
                                provider_label="Google")
