"""`send_sms` exactly once, though Twilio's message create takes no idempotency key.

The request is validated (numbers normalized to E.164, a sender chosen) and recorded as an
`integrations.outbound` row before anything is sent. Each attempt is marked started in a committed
transaction before the POST; before the first POST, Twilio's own clock (the Date of its answer to a
GET of the account) is committed on the row too. A retried attempt (the worker died after Twilio
accepted the request, or the answer was lost) first looks for the message an earlier attempt may
have sent: same To, same From (or Messaging Service), same Body, created at or after that moment
on Twilio's clock — never a text from before this row's first attempt (yesterday's reminder, the
same words sent from the console a minute earlier), whatever our clock says.

A message becomes a row's (found, or just created) only through `claim`: under one lock per
connection, refused when another outbound row already holds its SID. Two identical sends can race
— one's retry finds the other's fresh text before that one recorded it — then the retry keeps it
and the other, refused its own text, sends another: two requests, two texts, two SIDs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from worker.errors import BadInput
from worker.providers.twilio.api import MESSAGE, MESSAGES, TwilioApi, parse_date
from worker.providers.twilio.capabilities import SEND_SMS, SendSmsSettings
from worker.providers.twilio.client.errors import AccessDenied, BadRequest, NotFound, Transient, Unauthorized
from worker.providers.twilio.context import twilio_context
from worker.providers.twilio.phones import to_e164
from worker.providers.twilio.settings import twilio_settings
from worker.store import query
from worker.store.staging import RawObject, astage_records
from worker.sync.actions import record_outbound, run_action_job

ACTION = "send_sms"
MAX_BODY = 1600  # characters Twilio accepts in one message body
LOOKUP_PAGES = 20  # pages of 1000 the lookup reads at most between one sender and one recipient
RESENDS = 3  # texts one attempt sends at most when identical sends' retries keep taking them


def sms_request(connection: dict, request: dict[str, Any], region: str) -> dict:
    """The request as it will be sent: E.164 numbers, the sender from --from or the settings."""
    settings = SendSmsSettings.model_validate((connection.get("settings") or {}).get(SEND_SMS) or {})
    body = request.get("body")
    if not isinstance(body, str) or not body.strip():
        raise BadInput("--body is required and may not be empty")
    if len(body) > MAX_BODY:
        raise BadInput(f"--body has {len(body)} characters; Twilio sends at most {MAX_BODY}")
    to = to_e164(request.get("to") or "", region, "--to")
    sender = request.get("from")
    if sender:
        sender, service = to_e164(sender, region, "--from"), None
    else:
        sender, service = settings.from_number, settings.messaging_service_sid
    if not sender and not service:
        raise BadInput("no sender: give --from, or set from_number or messaging_service_sid in the send_sms"
                       " settings of the connection")
    if sender == to:
        raise BadInput("--to and --from are the same number")
    return {"to": to, "from": sender, "messaging_service_sid": service, "body": body}


async def prepare_send(aconn, connection: dict, request: dict[str, Any],
                       idempotency_key: str | None = None) -> tuple[dict, bool]:
    """Validate and record the request (bad input raises before anything is recorded); returns
    (row, created) — a known idempotency key returns the first row."""
    return await record_outbound(aconn, connection, ACTION,
                                 sms_request(connection, request, twilio_settings().default_phone_region),
                                 idempotency_key)


def form(request: dict) -> dict:
    data = {"To": request["to"], "Body": request["body"]}
    if request.get("from"):
        data["From"] = request["from"]
    else:
        data["MessagingServiceSid"] = request["messaging_service_sid"]
    return data


def is_ours(message: dict, request: dict, since: datetime) -> bool:
    """Whether `message` may be what an earlier attempt of `request` sent."""
    created = parse_date(message.get("date_created"))
    sender_matches = (message.get("from") == request["from"] if request.get("from")
                      else message.get("messaging_service_sid") == request["messaging_service_sid"])
    return (message.get("to") == request["to"] and sender_matches and message.get("body") == request["body"]
            and str(message.get("direction") or "").startswith("outbound") and created is not None
            and created >= since)


async def sent_before(api: TwilioApi, request: dict, since: datetime) -> list[dict]:
    """Messages that may be an earlier attempt's, oldest first. The list is newest first (by
    date_sent): it is read until a page holds only messages sent before `since`."""
    filters = {"To": request["to"], **({"From": request["from"]} if request.get("from") else {})}
    found: list[dict] = []
    page = await api.list_page(MESSAGES, filters=filters)
    for _ in range(LOOKUP_PAGES):
        items = api.items(MESSAGES, page)
        found += [m for m in items if is_ours(m, request, since)]
        sent = [parse_date(m.get("date_sent")) for m in items]
        if not page.get("next_page_uri") or (items and all(d is not None and d < since for d in sent)):
            return sorted(found, key=lambda m: (parse_date(m["date_created"]), m["sid"]))
        page = await api.list_page(MESSAGES, uri=page["next_page_uri"])
    raise BadInput(f"cannot tell whether an earlier attempt sent this message: more than {LOOKUP_PAGES} pages"
                   f" of messages from {request.get('from') or request.get('messaging_service_sid')} to"
                   f" {request['to']}; check the account's messages and send it again with a new idempotency key")


async def claim(ctx, row: dict, message: dict) -> dict | None:
    """Record `message` as this row's and stage it; None when another outbound row holds it. The
    check and the record are one transaction under the connection's claim lock."""
    async with ctx.db() as conn, conn.transaction():
        await conn.execute(query("twilio.claim_lock"), {"connection_id": ctx.connection_id})
        taken = await (await conn.execute(query("twilio.claimed"), {
            "connection_id": ctx.connection_id, "sids": [message["sid"]], "id": row["id"]})).fetchall()
        if taken:
            return None
        await astage_records(conn, ctx.connection_id, ctx.tenant_id, SEND_SMS, MESSAGE,
                             [RawObject(message["sid"], message)])
        return await (await conn.execute(query("outbound.done"), {
            "id": row["id"], "provider_id": message["sid"], "thread_id": None})).fetchone()


async def note_provider_start(ctx, row: dict) -> dict:
    """Commit Twilio's clock before the first POST: what a retry's lookup starts from. Without a
    Date in Twilio's answer (it always sends one), our clock less the configured margin."""
    async with ctx.db() as conn:
        return await (await conn.execute(query("outbound.provider_started"), {
            "id": row["id"], "at": await ctx.api.clock(), "margin": ctx.tw.send_lookup_margin_seconds})).fetchone()


async def perform_send(ctx, outbound_id) -> dict:
    async with ctx.db() as conn:
        row = await (await conn.execute(query("outbound.start_attempt"), {"id": outbound_id})).fetchone()
    if row is None:  # finished already
        async with ctx.db() as conn:
            return await (await conn.execute(query("outbound.get"), {"id": outbound_id})).fetchone()
    request = row["request"]
    if row["provider_started_at"] is not None:  # an earlier attempt may have reached Twilio
        since = row["provider_started_at"]
        for message in await sent_before(ctx.api, request, since):
            done = await claim(ctx, row, message)
            if done is not None:
                return done
    else:
        row = await note_provider_start(ctx, row)
    for _ in range(RESENDS):
        done = await claim(ctx, row, await ctx.api.create_message(form(request)))
        if done is not None:
            return done
        # the text just sent was taken by an identical send's retry (it had found no text of its
        # own): that send is served by it, and this one sends its own again
    raise Transient(0, None, f"{RESENDS} texts sent for outbound {row['id']} were each taken by an identical"
                    " send's retry; retrying")


# Twilio refuses the request itself (21211 invalid To, 21606 a From the account does not own, 21610
# an unsubscribed recipient ...): retrying it unchanged cannot succeed
REFUSED = (BadInput, BadRequest, NotFound)


def _waits_for_reconnect(error: Exception) -> bool:
    return isinstance(error, (Unauthorized, AccessDenied))


async def run_send_job(pool, connection_id, outbound_id, final_attempt: bool) -> dict:
    """The `twilio:send_sms` task body (the row's states: worker/sync/actions.py)."""
    async def perform() -> dict:
        async with twilio_context(pool, connection_id, SEND_SMS) as ctx:
            return await perform_send(ctx, outbound_id)

    return await run_action_job(pool, connection_id, outbound_id, capability=SEND_SMS, final_attempt=final_attempt,
                                perform=perform, waits_for_reconnect=_waits_for_reconnect, refused=REFUSED,
                                provider_label="Twilio")
