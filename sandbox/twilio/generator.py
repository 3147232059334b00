"""Deterministic texts and calls for one account from a seed, for the demo and the benchmarks.

Texts: conversations between the account's numbers and ~40 contacts (North American and European),
inbound (``received``) and outbound (mostly ``delivered``; some ``undelivered``/``failed`` with
their error codes, the newest few still ``queued`` without ``date_sent``), GSM and Unicode bodies,
multi-segment ones, MMS with media. Calls: inbound, outbound-api and outbound-dial legs (with
``parent_call_sid``), completed with durations and prices, busy, no-answer, failed, canceled.

Dates spread over the last ``days`` days of the sandbox clock (not a fixed epoch: the provider's
sync windows end now); everything else (SIDs, numbers, bodies, statuses) follows from the seed.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from datetime import timedelta

from .numbers import segments
from .resources import price

DEFAULT_NUMBERS = ["+14155550100", "+14155550101"]
AREAS = ["212", "312", "415", "503", "617", "646", "702", "917"]
EUROPE = ["+44207946{:04d}", "+3319900{:04d}", "+4930123{:04d}"]
BODIES = [
    "Hi {name}, your appointment is confirmed for tomorrow at 10:00.",
    "Thanks for the call today! I'll send the proposal by Friday.",
    "Can we move our meeting to 3pm?",
    "Your verification code is {code}.",
    "Invoice #{code} is ready: total due $1,240.00. Reply STOP to opt out.",
    "Sounds good, see you then 👍",
    "Merci {name}, à demain !",
    "Reminder: the contract review starts in 15 minutes.",
    "Got it.",
    "We received your payment. Thank you for your business!",
]
NAMES = ["Ana", "Ben", "Chloé", "Dmitri", "Grace", "Hiro", "Inès", "Jonas"]
LONG = ("Following up on our conversation: the renewal covers twelve months, includes priority support and "
        "the onboarding workshop, and the price stays as quoted. Let me know if legal needs anything else "
        "before signing, and whether Thursday still works for the kickoff.")


def _sid(prefix: str, seed: int, kind: str, n: int) -> str:
    return prefix + hashlib.sha1(f"{seed}/twilio/{kind}/{n}".encode()).hexdigest()[:32]


def _contacts(rng: random.Random, count: int = 40) -> list[str]:
    found: list[str] = []
    while len(found) < count:
        if rng.random() < 0.8:
            number = f"+1{rng.choice(AREAS)}55501{rng.randint(0, 99):02d}"
        else:
            number = rng.choice(EUROPE).format(rng.randint(0, 9999))
        if number not in found:
            found.append(number)
    return found


def _body(rng: random.Random, n: int) -> tuple[str, list[str]]:
    if n % 23 == 5:
        return LONG, []
    if n % 17 == 3:
        return rng.choice(["", "Photo from the site visit"]), [f"https://media.example/site-{n}.jpg"]
    return rng.choice(BODIES).format(name=rng.choice(NAMES), code=rng.randint(100000, 999999)), []


def _outcome(rng: random.Random) -> tuple[str, int | None]:
    roll = rng.random()
    if roll < 0.86:
        return "delivered", None
    if roll < 0.91:
        return "sent", None
    if roll < 0.97:
        return "undelivered", rng.choice([30003, 30005, 30006])
    return "failed", rng.choice([30007, 30008])


def populate(sb, account_sid: str | None, messages: int = 500, calls: int = 200, numbers=None, seed: int = 0,
             days: float = 30.0) -> dict:
    """Fill one account of ``sb``; answers what was made (account, key, counts per status)."""
    rng = random.Random(f"{seed}/twilio/generator")
    account_sid = sb.add_account(account_sid or "AC" + hashlib.sha1(f"{seed}/twilio/account".encode()).hexdigest()[:32])
    own = list(numbers or DEFAULT_NUMBERS)
    contacts = _contacts(rng)
    now = sb.world.clock.now()
    span = days * 86400
    statuses: Counter = Counter()
    offsets = sorted((rng.uniform(600, span) for _ in range(messages)), reverse=True)
    for n, offset in enumerate(offsets):
        created = now - timedelta(seconds=int(offset))
        mine, theirs = rng.choice(own), rng.choice(contacts)
        body, media = _body(rng, n)
        message = {"sid": _sid("SM", seed, "message", n), "body": body, "num_media": str(len(media)),
                   "date_created": created}
        queued = n >= messages - 3  # the newest few texts are still on their way out
        if rng.random() < 0.45 and not queued:
            message.update({"direction": "inbound", "from": theirs, "to": mine, "status": "received",
                            "price": "-0.00790"})
        else:
            status, error = ("queued", None) if queued else _outcome(rng)
            message.update({"direction": rng.choice(["outbound-api", "outbound-api", "outbound-reply"]),
                            "from": mine, "to": theirs, "status": status, "error_code": error})
            if status == "queued":
                message["date_sent"] = None
            elif status != "failed":
                message["date_sent"] = created + timedelta(seconds=rng.randint(1, 5))
                message["price"] = price(segments(body), len(media))
        for key in ("date_created", "date_sent"):
            if message.get(key) is not None:
                message[key] = message[key].isoformat()
        sb.import_message(account_sid, message)
        statuses[message["status"]] += 1
    call_statuses: Counter = Counter()
    offsets = sorted((rng.uniform(300, span) for _ in range(calls)), reverse=True)
    parent = None
    for n, offset in enumerate(offsets):
        created = now - timedelta(seconds=int(offset))
        mine, theirs = rng.choice(own), rng.choice(contacts)
        roll = rng.random()
        status = ("completed" if roll < 0.72 else "no-answer" if roll < 0.82 else "busy" if roll < 0.89
                  else "failed" if roll < 0.93 else "canceled" if roll < 0.97 else "in-progress")
        direction = rng.choice(["inbound", "inbound", "outbound-api", "outbound-dial"])
        if direction == "outbound-dial" and parent is None:
            direction = "outbound-api"
        inbound = direction == "inbound"
        call = {"sid": _sid("CA", seed, "call", n), "direction": direction, "status": status,
                "from": theirs if inbound else mine, "to": mine if inbound else theirs,
                "date_created": created.isoformat(),
                "parent_call_sid": parent if direction == "outbound-dial" else None}
        start = created + timedelta(seconds=rng.randint(1, 8))
        if status == "canceled":
            call.update(start_time=None, end_time=None, duration="0")
        elif status == "in-progress":
            call.update(start_time=start.isoformat(), end_time=None, duration=None)
        else:
            length = rng.randint(15, 1200) if status == "completed" else 0
            call.update(start_time=start.isoformat(), end_time=(start + timedelta(seconds=length)).isoformat(),
                        duration=str(length))
            if status == "completed":
                call["price"] = f"{-0.014 * math.ceil(length / 60):.5f}"
        stored = sb.import_call(account_sid, call)
        parent = stored["sid"] if inbound and status == "completed" else parent
        call_statuses[status] += 1
    key = sb.create_api_key(account_sid, "generated")
    return {"account_sid": account_sid, "key_sid": key["sid"], "key_secret": key["secret"], "numbers": own,
            "contacts": len(contacts), "messages": messages, "calls": calls,
            "message_statuses": dict(statuses), "call_statuses": dict(call_statuses)}
