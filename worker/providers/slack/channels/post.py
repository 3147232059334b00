"""`post_message` exactly once, though Slack has no idempotency key.

Each post carries a `metadata` marker naming its outbound row (`event_type` crm_outbound). The
attempt counter is committed before Slack is called, and before the first post Slack's own clock
(the Date of its answer to `auth.test`) is committed on the row. A retried job (the worker died
after Slack accepted the post, or the answer was lost) first reads the channel — or the thread —
from that moment on Slack's clock, so our clock being minutes off Slack's never hides the post,
with `include_all_metadata`, and records the message carrying its marker instead of posting a
second one. It reads at most `post_lookup_pages` pages: a channel too busy to tell within them
fails the action with the reason (look, then post again under a new key) rather than holding a
worker for an hour or posting blindly twice.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from worker.errors import BadInput
from worker.providers.slack.channels.messages import MESSAGE, message_record, ts_of
from worker.providers.slack.client.errors import AccessDenied, BadRequest, NotFound, NotInChannel, Unauthorized
from worker.providers.slack.context import slack_context
from worker.store import query
from worker.store.staging import astage_records
from worker.sync.actions import record_outbound, run_action_job

CAPABILITY = "post_message"
ACTION = "post_message"
MARKER = "crm_outbound"
TS = re.compile(r"^\d{1,12}\.\d{1,6}$")
CHANNEL_ID = re.compile(r"^[A-Z0-9]{2,}$")
MAX_TEXT = 40_000  # Slack truncates longer texts
LOOKBACK = timedelta(minutes=2)  # our clock against Slack's, only when Slack's answer has no Date
SLACK_CLOCKS = timedelta(seconds=2)  # Slack's servers against each other (its Date has whole seconds)


def validate_post(request: dict[str, Any]) -> dict[str, Any]:
    channel, text, thread = request.get("channel"), request.get("text"), request.get("thread_ts")
    if not isinstance(channel, str) or not CHANNEL_ID.match(channel):
        raise BadInput("--channel must be a Slack channel id (C…, G…), e.g. C0123ABCD")
    if not isinstance(text, str) or not text.strip():
        raise BadInput("--text must not be empty")
    if len(text) > MAX_TEXT:
        raise BadInput(f"--text is {len(text)} characters; Slack takes at most {MAX_TEXT}")
    if thread is not None and (not isinstance(thread, str) or not TS.match(thread)):
        raise BadInput("--thread-ts must be a message ts such as 1700000000.000100")
    return {"channel": channel, "text": text, **({"thread_ts": thread} if thread else {})}


async def prepare_post(aconn, connection: dict, request: dict[str, Any],
                       idempotency_key: str | None = None) -> tuple[dict, bool]:
    """Validate and record the request (the capability and its scopes were checked by worker/api.py)."""
    return await record_outbound(aconn, connection, ACTION, validate_post(request), idempotency_key)


def marker(outbound_id) -> dict:
    return {"event_type": MARKER, "event_payload": {"outbound_id": str(outbound_id)}}


def carries(message: dict, outbound_id) -> bool:
    metadata = message.get("metadata") if isinstance(message, dict) else None
    return (isinstance(metadata, dict) and metadata.get("event_type") == MARKER
            and (metadata.get("event_payload") or {}).get("outbound_id") == str(outbound_id))


async def find_post(ctx, row: dict) -> dict | None:
    """The message an earlier attempt posted, if Slack has it: read from Slack's clock before that
    attempt, `post_lookup_pages` pages at most (then `BadInput`: the action fails with the reason)."""
    request = row["request"]
    oldest = ts_of((row["provider_started_at"] - SLACK_CLOCKS).timestamp())
    if request.get("thread_ts"):
        pages = ctx.api.replies(request["channel"], request["thread_ts"], oldest=oldest)
    else:
        pages = ctx.api.history(request["channel"], oldest=oldest)
    read = 0
    try:
        async for _, messages, cursor in pages:
            found = next((m for m in messages if carries(m, row["id"])), None)
            if found is not None:
                return found
            read += 1
            if cursor and read >= ctx.ss.post_lookup_pages:
                raise BadInput(
                    f"cannot tell whether an earlier attempt posted this message: {read} pages of messages in"
                    f" {request['channel']} since {row['provider_started_at'].isoformat()} (Slack's clock) hold"
                    " no message with its marker and more follow; look for it in the channel and, if it is not"
                    " there, post it again with a new idempotency key")
    except NotFound:
        if request.get("thread_ts"):  # the thread's parent is gone: nothing of ours is in it
            return None
        raise
    finally:
        await pages.aclose()
    return None


async def note_provider_start(ctx, row: dict) -> dict:
    """Commit Slack's clock before the first post: where a retry's lookup starts. Without a Date in
    Slack's answer, our clock less LOOKBACK."""
    async with ctx.db() as conn:
        return await (await conn.execute(query("outbound.provider_started"), {
            "id": row["id"], "at": await ctx.client.clock(), "margin": LOOKBACK.total_seconds()})).fetchone()


async def perform_post(ctx, outbound_id) -> dict:
    async with ctx.db() as conn:
        row = await (await conn.execute(query("outbound.start_attempt"), {"id": outbound_id})).fetchone()
    if row is None:  # finished already
        async with ctx.db() as conn:
            return await (await conn.execute(query("outbound.get"), {"id": outbound_id})).fetchone()
    request = row["request"]
    if row["provider_started_at"] is None:  # no attempt has reached Slack yet: nothing to look for
        row = await note_provider_start(ctx, row)
    else:
        posted = await find_post(ctx, row)
        if posted is not None:
            return await _finish(ctx, row, posted)
    body = {"channel": request["channel"], "text": request["text"], "metadata": marker(row["id"])}
    if request.get("thread_ts"):
        body["thread_ts"] = request["thread_ts"]
    answer = await ctx.client.call("chat.postMessage", json_body=body, idempotent=False)
    message = answer.get("message") if isinstance(answer.get("message"), dict) else {}
    return await _finish(ctx, row, {**message, "ts": answer.get("ts") or message.get("ts")})


async def _finish(ctx, row: dict, message: dict) -> dict:
    """Record the outcome and stage the message like any other, so it reaches the CRM timeline."""
    channel = row["request"]["channel"]
    async with ctx.db() as conn, conn.transaction():
        await astage_records(conn, ctx.connection_id, ctx.tenant_id, CAPABILITY, MESSAGE,
                             [message_record(channel, message)])
        return await (await conn.execute(query("outbound.done"), {
            "id": row["id"], "provider_id": message["ts"],
            "thread_id": row["request"].get("thread_ts") or message["ts"]})).fetchone()


# Slack refuses the request itself: retrying it unchanged cannot succeed
REFUSED = (BadInput, BadRequest, NotFound, NotInChannel)


def _waits_for_reconnect(error: Exception) -> bool:
    return isinstance(error, (Unauthorized, AccessDenied))


async def run_post_job(pool, connection_id, outbound_id, final_attempt: bool) -> dict:
    """The `slack:post_message` task body (the row's states: worker/sync/actions.py)."""
    async def perform() -> dict:
        async with slack_context(pool, connection_id, CAPABILITY) as ctx:
            return await perform_post(ctx, outbound_id)

    return await run_action_job(pool, connection_id, outbound_id, capability=CAPABILITY, final_attempt=final_attempt,
                                perform=perform, waits_for_reconnect=_waits_for_reconnect, refused=REFUSED,
                                provider_label="Slack")
