"""Twilio's resources as the API renders them: dates, SIDs, URIs and the fields each one carries.

Every date is RFC 2822 in GMT (``Thu, 30 Jul 2015 20:12:31 +0000``); counts are strings
(``num_segments``, ``num_media``, ``duration``); prices are negative decimal strings once known
(``"-0.00790"``), null before. Imports take a resource as the API returns it and fill what is
missing here, so a test can import ``{"to": ..., "body": ...}`` and get a complete Message back.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime

from . import numbers

API_VERSION = "2010-04-01"
ROOT = f"/{API_VERSION}/Accounts"
SMS_PRICE = 0.0079  # USD per outbound segment
MMS_PRICE = 0.0200


def new_sid(prefix: str, rng: random.Random) -> str:
    """``prefix`` + 32 lower-case hex digits (``AC``, ``SK``, ``SM``, ``CA``, ``PN`` ...)."""
    return prefix + "%032x" % rng.getrandbits(128)


def rfc2822(when: datetime | None) -> str | None:
    return None if when is None else format_datetime(when.astimezone(timezone.utc))


def parse_date(value) -> datetime | None:
    """A date as the API writes it (RFC 2822), or ISO 8601 for convenience in imports; UTC, to the second."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        when = value
    else:
        text = str(value).strip()
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            try:
                when = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError(f"not a date: {value!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).replace(microsecond=0)


def price(segments: int, media: int) -> str:
    return f"{-(MMS_PRICE if media else SMS_PRICE * segments):.5f}"


def account_resource(sid: str, friendly_name: str, auth_token: str, created: datetime) -> dict:
    base = f"{ROOT}/{sid}"
    return {
        "auth_token": auth_token, "date_created": rfc2822(created), "date_updated": rfc2822(created),
        "friendly_name": friendly_name, "owner_account_sid": sid, "sid": sid, "status": "active",
        "subresource_uris": {name: f"{base}/{path}.json" for name, path in (
            ("calls", "Calls"), ("messages", "Messages"), ("incoming_phone_numbers", "IncomingPhoneNumbers"),
            ("keys", "Keys"), ("usage", "Usage"))},
        "type": "Full", "uri": f"{base}.json",
    }


def message_uris(account_sid: str, sid: str) -> dict:
    base = f"{ROOT}/{account_sid}/Messages/{sid}"
    return {"uri": f"{base}.json", "subresource_uris": {"media": f"{base}/Media.json",
                                                        "feedback": f"{base}/Feedback.json"}}


def call_uris(account_sid: str, sid: str) -> dict:
    base = f"{ROOT}/{account_sid}/Calls/{sid}"
    return {"uri": f"{base}.json", "subresource_uris": {
        name: f"{base}/{path}.json" for name, path in (
            ("notifications", "Notifications"), ("recordings", "Recordings"), ("events", "Events"),
            ("siprec", "Siprec"), ("streams", "Streams"), ("payments", "Payments"),
            ("user_defined_message_subscriptions", "UserDefinedMessageSubscriptions"),
            ("user_defined_messages", "UserDefinedMessages"))}}


SENT_STATUSES = frozenset({"sent", "delivered", "undelivered", "received", "read", "partially_delivered"})


def complete_message(account_sid: str, given: dict, sid: str, now: datetime) -> dict:
    """A full Message from what an import gave (its fields win; the account and URIs are ours)."""
    status = given.get("status") or "delivered"
    created = parse_date(given.get("date_created")) or now
    sent = parse_date(given.get("date_sent"))
    if "date_sent" not in given and status in SENT_STATUSES:
        sent = created
    body = given.get("body") or ""
    error_code = given.get("error_code")
    message = {
        "body": body, "num_segments": str(numbers.segments(body)), "direction": "outbound-api",
        "from": None, "to": None, "price": None, "error_message": None, "num_media": "0",
        "messaging_service_sid": None, "price_unit": "USD", "api_version": API_VERSION,
        **{k: v for k, v in given.items()},
        "account_sid": account_sid, "sid": sid, "status": status,
        "date_created": rfc2822(created), "date_sent": rfc2822(sent),
        "date_updated": rfc2822(parse_date(given.get("date_updated")) or sent or created),
        "error_code": None if error_code in (None, "") else int(error_code),
        **message_uris(account_sid, sid),
    }
    for key in ("num_segments", "num_media"):
        message[key] = str(message[key])
    if message["error_code"] is not None and not message["error_message"]:
        message["error_message"] = numbers.ERROR_MESSAGES.get(message["error_code"])
    return message


CALL_STATUSES = ("queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled")
CALL_DIRECTIONS = ("inbound", "outbound-api", "outbound-dial")


def complete_call(account_sid: str, given: dict, sid: str, now: datetime) -> dict:
    """A full Call from what an import gave; ``duration`` follows start and end when not given."""
    status = given.get("status") or "completed"
    if status not in CALL_STATUSES:
        raise ValueError(f"unknown call status {status!r}; use one of {', '.join(CALL_STATUSES)}")
    created = parse_date(given.get("date_created")) or now
    start = parse_date(given.get("start_time")) if "start_time" in given else (
        None if status in ("queued", "ringing", "canceled") else created)
    end = parse_date(given.get("end_time")) if "end_time" in given else (
        start if status in ("completed", "busy", "failed", "no-answer") and start else None)
    duration = given.get("duration")
    if duration is None and start and end:
        duration = int((end - start).total_seconds())
    call = {
        "parent_call_sid": None, "to": None, "from": None, "phone_number_sid": None, "price": None,
        "price_unit": "USD", "direction": "outbound-api", "answered_by": None, "api_version": API_VERSION,
        "forwarded_from": None, "group_sid": None, "caller_name": None, "queue_time": "0",
        "trunk_sid": None, **{k: v for k, v in given.items()},
        "account_sid": account_sid, "sid": sid, "status": status,
        "date_created": rfc2822(created), "date_updated": rfc2822(parse_date(given.get("date_updated")) or end or created),
        "start_time": rfc2822(start), "end_time": rfc2822(end),
        "duration": None if duration is None else str(duration),
        **call_uris(account_sid, sid),
    }
    if call["direction"] not in CALL_DIRECTIONS:
        raise ValueError(f"unknown call direction {call['direction']!r}")
    call.setdefault("to_formatted", numbers.formatted(call["to"]))
    call.setdefault("from_formatted", numbers.formatted(call["from"]))
    return call
