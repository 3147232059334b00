"""How an outbound text's status moves on after the API accepted it, step by step on the sandbox clock.

    accepted (Messaging Service, no From yet) -> queued -> sending -> sent -> delivered
                                                                          \\-> undelivered + error_code
                                                        \\-> failed + error_code

Each step is ``(delay, status, error_code)``, ``delay`` seconds after creation (``clock``): a step is
applied once the clock's progress passes it, and its dates are creation + delay, so the same steps
give the same dates whenever they are observed. ``sent`` sets ``date_sent`` and the price; an error
step sets ``error_code`` and ``error_message``. ``set_status`` replaces what is left of the schedule
with one explicit change dated now.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from . import numbers
from .resources import SENT_STATUSES, parse_date, price, rfc2822

MESSAGE_STATUSES = ("queued", "sending", "sent", "failed", "delivered", "undelivered", "receiving", "received",
                    "accepted", "scheduled", "read", "partially_delivered", "canceled")
QUEUE_DELAY = 0.5  # accepted -> queued, when a Messaging Service picks the sender
DELIVERED = ((1.0, "sending", None), (2.0, "sent", None), (4.0, "delivered", None))
PRICED = frozenset({"sent", "delivered", "undelivered", "partially_delivered", "read"})


def steps_for(to: str, designated: dict, via_service: bool) -> list[tuple]:
    """The schedule of a new outbound text to ``to``."""
    outcome = designated.get(to)
    if outcome is None:
        steps = list(DELIVERED)
    elif outcome[0] == "failed":
        steps = [(1.0, "failed", outcome[1])]
    else:
        steps = [*DELIVERED[:2], (4.0, outcome[0], outcome[1])]
    if via_service:
        steps.insert(0, (QUEUE_DELAY, "queued", None))
    return steps


def apply(message: dict, status: str, error_code: int | None, when: datetime, sender: str | None = None) -> None:
    """Move ``message`` (an API dict) to ``status`` at ``when``."""
    if status not in MESSAGE_STATUSES:
        raise ValueError(f"unknown message status {status!r}; use one of {', '.join(MESSAGE_STATUSES)}")
    message["status"] = status
    message["date_updated"] = rfc2822(when)
    if message.get("from") is None and sender is not None:  # a Messaging Service picked its sender
        message["from"] = sender
        message["num_segments"] = str(numbers.segments(message.get("body")))
    if status in SENT_STATUSES and message.get("date_sent") is None:
        message["date_sent"] = rfc2822(when)
    if status in PRICED and message.get("price") is None and message.get("direction", "").startswith("outbound"):
        message["price"] = price(int(message.get("num_segments") or 1), int(message.get("num_media") or 0))
    if error_code is not None:
        message["error_code"] = int(error_code)
        message["error_message"] = numbers.ERROR_MESSAGES.get(int(error_code), "Unknown error")
    elif status not in ("failed", "undelivered"):
        message["error_code"] = None
        message["error_message"] = None


def settle(record, progress: float, sender: str | None = None) -> bool:
    """Apply every step of ``record`` due at ``progress``; True when something changed."""
    changed = False
    created = parse_date(record.data["date_created"])
    while record.steps and record.born + record.steps[0][0] <= progress:
        delay, status, error_code = record.steps.pop(0)
        apply(record.data, status, error_code, created + timedelta(seconds=delay), sender)
        changed = True
    if changed:
        record.refresh()
    return changed
