"""``/2010-04-01/Accounts/{AccountSid}/Messages``: list, fetch, send (create) and delete texts.

Create validates as Twilio does, in its order, and answers 400 with Twilio's code:

    To missing 21604, To malformed 21211, From and MessagingServiceSid both missing 21603,
    From malformed 21212, From not the account's 21606, Body and MediaUrl both missing 21602,
    Body over 1,600 characters 21617

then stores the text ``queued`` (``accepted`` with a Messaging Service and no From) with its status
steps (``lifecycle``) and records ``StatusCallback``.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from . import lifecycle, numbers, paging
from .errors import invalid, not_found
from .resources import message_uris, rfc2822
from .state import Record

MAX_BODY = 1600


def form(req) -> dict[str, list[str]]:
    """A POST's ``application/x-www-form-urlencoded`` fields (repeatable ones keep every value)."""
    return parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)


def _one(fields: dict, name: str) -> str | None:
    values = fields.get(name)
    return values[-1] if values else None


def list_messages(call) -> dict:
    account = call.account
    to, from_ = call.req.param("To"), call.req.param("From")
    sent = paging.date_filter(call.req, "DateSent")
    chosen = [r for r in account.messages.values()
              if (not to or r.data.get("to") == to) and (not from_ or r.data.get("from") == from_)
              and (sent is None or sent(r.time_at))]
    return paging.page(call.req, call.world.newest_first(chosen), "messages", lambda r: dict(r.data))


def fetch_message(call) -> dict:
    return dict(_record(call).data)


def delete_message(call):
    _record(call)
    del call.account.messages[call.sid]
    call.account.pending.discard(call.sid)
    return 204, None


def _record(call) -> Record:
    record = call.account.messages.get(call.sid)
    if record is None:
        raise not_found(call.req.path)
    return record


def create_message(call):
    fields = form(call.req)
    to, from_ = _one(fields, "To"), _one(fields, "From")
    service, body = _one(fields, "MessagingServiceSid"), _one(fields, "Body")
    media = [url for url in fields.get("MediaUrl", []) if url]
    account, world = call.account, call.world
    if not to:
        raise invalid(21604, "A 'To' phone number is required.")
    if not numbers.is_phone(to) or to in numbers.INVALID_TO:
        raise invalid(21211, f"Invalid 'To' Phone Number: {to}")
    if not from_ and not service:
        raise invalid(21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.")
    if from_ and (not numbers.is_phone(from_) or from_ in numbers.INVALID_FROM):
        raise invalid(21212, f"Invalid From Number (caller ID): {from_}")
    if from_ and (from_ in numbers.NOT_OWNED_FROM or (account.numbers and from_ not in account.numbers)):
        raise invalid(21606, f"The From phone number {from_} is not a valid, SMS-capable inbound phone number "
                             "or short code for your account.")
    if service and not service.startswith("MG"):
        raise invalid(21701, f"The Messaging Service Sid {service} is invalid.")
    if not body and not media:
        raise invalid(21602, "Message body is required.")
    if body and len(body) > MAX_BODY:
        raise invalid(21617, "The concatenated message body exceeds the 1600 character limit.")
    sid, now = world.new_sid("SM"), world.clock.now()
    accepted = bool(service) and not from_
    data = {
        "body": body or "", "num_segments": "0" if accepted else str(numbers.segments(body)),
        "direction": "outbound-api", "from": from_ or None, "to": to, "date_updated": rfc2822(now),
        "price": None, "error_message": None, "account_sid": account.sid, "num_media": str(len(media)),
        "status": "accepted" if accepted else "queued", "messaging_service_sid": service or None, "sid": sid,
        "date_sent": None, "date_created": rfc2822(now), "error_code": None, "price_unit": "USD",
        "api_version": "2010-04-01", **message_uris(account.sid, sid),
    }
    record = Record(data, world.next_seq(), "date_sent", born=world.clock.progress(),
                    steps=lifecycle.steps_for(to, world.designated, accepted),
                    status_callback=_one(fields, "StatusCallback"))
    account.messages[sid] = record
    account.pending.add(sid)
    return 201, dict(data)
